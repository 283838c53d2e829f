"""Invitations instead of passwords handed out, and contractors' own administrators: a link
valid for a week and used once, kept only as a hash, shown once, e-mailed through the outbox
(a real SMTP server receives it); a contractor's administrator keeps its own company's
accounts and no one else's, by any route."""

import re
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy import event

from app.auth import invitations
from app.auth.invitations import VALID_FOR, accept
from app.auth.models import Invitation, Role, User
from app.auth.users import create_user, set_active
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.refusals import Refused
from app.notify.delivery import deliver_due
from app.notify.models import Delivery, DeliveryStatus, Notification
from app.organisation.invitations import invite, invite_many
from tests.helpers import PASSWORD, login
from tests.robot_server import MailBox

PUBLIC_URL = "https://xunjian.example.gov.cn"
MOMENT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def mailbox():
    with MailBox() as box:
        yield box


@pytest.fixture
def app_config(app_config, mailbox):
    return {
        **app_config,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": mailbox.port,
        "PUBLIC_URL": PUBLIC_URL,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 5,
    }


def path_of(link: str) -> str:
    assert link.startswith(f"{PUBLIC_URL}/invite/"), link
    return link.removeprefix(PUBLIC_URL)


def newcomer(company, email="", username="newcomer") -> User:
    user = create_user(username, "新来的", Role.CONTRACTOR, contractor_id=company.id, email=email)
    db.session.commit()
    return user


def invited(user, by=None) -> str:
    link = invite(user, by)
    db.session.commit()
    return path_of(link)


def set_password(client, path, password="my-own-pass-1", repeat=None):
    return client.post(path, data={"new": password, "confirm": repeat or password})


@contextmanager
def statements():
    """The statements run inside, each by its first words (verb and table)."""
    seen = []

    def note(connection, cursor, statement, *args):
        seen.append(" ".join(statement.split()[:3]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def everything_stored() -> str:
    """Every row of every table, as text."""
    db.session.expire_all()
    return "\n".join(
        repr(db.session.execute(sa.select(table)).all()) for table in db.metadata.sorted_tables
    )


# --- the link --------------------------------------------------------------------------------


def test_a_new_account_has_no_password_until_its_person_sets_one(client, cast):
    user = newcomer(cast.own)
    assert not user.has_password
    for guess in ("", "!", user.password_hash, PASSWORD):
        assert not user.check_password(guess)
        answer = client.post("/login", data={"username": user.username, "password": guess})
        assert answer.status_code == 422


def test_the_link_shows_who_is_invited_and_sets_the_password_once(client, cast):
    user = newcomer(cast.own)
    path = invited(user, cast.admin)

    page = client.get(path)
    assert page.status_code == 200
    assert user.display_name in page.text and f'value="{user.username}"' in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert set_password(client, path, repeat="something-else").status_code == 422
    assert set_password(client, path, password="short").status_code == 422

    answer = set_password(client, path)
    assert answer.status_code == 302 and answer.location == "/login"
    login(client, user, password="my-own-pass-1")
    client.post("/logout")

    again = set_password(client, path, password="someone-elses-1")
    assert again.status_code == 404 and "无法使用" in again.text
    assert client.get(path).status_code == 404
    login(client, user, password="my-own-pass-1")
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.object_type == "users", AuditEvent.object_id == user.id
        )
    ).all()
    assert actions == ["user_created", "user_invited", "invitation_accepted"]


def test_the_link_works_for_seven_days_and_not_a_moment_more(client, cast):
    with time_machine.travel(MOMENT, tick=False):
        path = invited(newcomer(cast.own))
    with time_machine.travel(MOMENT + VALID_FOR - timedelta(seconds=1), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(MOMENT + VALID_FOR, tick=False):
        assert client.get(path).status_code == 404
        assert set_password(client, path).status_code == 404
    assert not db.session.get(User, cast.owner.id).check_password("my-own-pass-1")


@pytest.mark.parametrize("token", ["unknown", "x" * 32, ""])
def test_an_unknown_link_gets_the_same_clear_page(client, cast, token):
    answer = client.get(f"/invite/{token}" if token else "/invite/%20")
    assert answer.status_code == 404
    assert "无法使用" in answer.text and "向管理员索取新的链接" in answer.text


def test_guessing_links_is_refused_like_guessing_passwords(client, cast):
    path = invited(newcomer(cast.own))
    for n in range(5):
        assert client.get(f"/invite/guess-{n}").status_code == 404
    assert client.get(path).status_code == 429, "the address is blocked, right links too"
    assert set_password(client, path).status_code == 429


def test_only_hashes_of_the_links_are_stored(client, cast, mailbox):
    user = newcomer(cast.own, email="new@caterer.example")
    shown = invited(user, cast.admin)
    assert deliver_due().sent == 1
    ((_to, mail),) = mailbox.received()
    emailed = path_of(re.search(rf"{PUBLIC_URL}/invite/\S+", mail.get_content())[0])
    stored = everything_stored()
    for path in (shown, emailed):
        token = path.removeprefix("/invite/")
        assert len(token) >= 32 and token not in stored


def test_a_new_link_withdraws_the_old_one(client, cast):
    user = newcomer(cast.own)
    old = invited(user, cast.admin)
    new = invited(user, cast.admin)
    assert client.get(old).status_code == 404
    assert set_password(client, old).status_code == 404
    assert set_password(client, new).status_code == 302


def test_a_deactivated_person_cannot_use_the_link_even_once_reactivated(client, cast):
    user = newcomer(cast.own)
    path = invited(user, cast.admin)
    set_active(user, False)
    db.session.commit()
    assert set_password(client, path).status_code == 404
    set_active(user, True)
    db.session.commit()
    assert set_password(client, path).status_code == 404, "deactivating withdrew it"
    with pytest.raises(Refused):
        set_active(user, False)
        invite(user, cast.admin)


def test_two_uses_of_one_link_at_once_set_one_password(app, cast, monkeypatch):
    """Both requests find the link open before either uses it: the database lets one through."""
    user = newcomer(cast.own)
    token = invited(user).removeprefix("/invite/")
    both_found = threading.Barrier(2, timeout=30)
    find = invitations.open_invitation

    def found_then_wait(token):
        found = find(token)
        both_found.wait()
        return found

    monkeypatch.setattr(invitations, "open_invitation", found_then_wait)
    outcomes = {}

    def use(password):
        with app.app_context():
            try:
                accept(token, password)
                db.session.commit()
                outcomes[password] = "set"
            except Refused:
                db.session.rollback()
                outcomes[password] = "refused"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=use, args=(p,)) for p in ("first-pass-1", "second-pass-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["refused", "set"]
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert [user.check_password(p) for p in outcomes] == [v == "set" for v in outcomes.values()]
    assert db.session.scalar(sa.select(sa.func.count()).where(Invitation.used_at.is_not(None))) == 1


# --- the e-mail ------------------------------------------------------------------------------


def test_the_invitation_is_emailed_with_a_link_of_its_own(client, cast, mailbox):
    user = newcomer(cast.own, email="new@caterer.example")
    shown = invited(user, cast.admin)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0, "no inbox yet"
    done = deliver_due()
    assert done.sent == 1

    ((to, mail),) = mailbox.received()
    assert to == ["new@caterer.example"]
    body = mail.get_content()
    assert user.username in body and "只能使用一次" in body
    emailed = path_of(re.search(rf"{PUBLIC_URL}/invite/\S+", body)[0])
    assert emailed != shown, "the outbox never held the shown link"
    assert client.get(emailed).status_code == 200
    assert set_password(client, emailed).status_code == 302
    assert client.get(shown).status_code == 404, "one invitation, used once, whichever link"


def test_no_address_no_email(cast):
    invited(newcomer(cast.own))
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


def test_an_email_whose_invitation_was_replaced_is_not_sent(cast, mailbox):
    user = newcomer(cast.own, email="new@caterer.example")
    invited(user, cast.admin)
    invited(user, cast.admin)
    done = deliver_due()
    assert (done.sent, done.failed) == (1, 1)
    withdrawn = db.session.scalar(
        sa.select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)
    )
    assert "no longer open" in withdrawn.last_error
    assert len(mailbox.received()) == 1


def test_a_failed_send_is_tried_again_by_the_outbox_and_its_link_then_works(
    app, client, cast, mailbox
):
    user = newcomer(cast.own, email="new@caterer.example")
    invited(user, cast.admin)
    app.config["SMTP_PORT"] = 1  # nothing listens there
    assert deliver_due().retrying == 1
    app.config["SMTP_PORT"] = mailbox.port
    assert deliver_due(datetime.now(UTC) + timedelta(minutes=5)).sent == 1
    ((_to, mail),) = mailbox.received()
    emailed = path_of(re.search(rf"{PUBLIC_URL}/invite/\S+", mail.get_content())[0])
    assert set_password(client, emailed).status_code == 302


def test_inviting_many_takes_as_many_statements_as_inviting_a_few(cast):
    """Nothing is looked up person by person. SQLite cannot hand back the keys of many new
    rows in their order, so there each row is its own INSERT; PostgreSQL adds them in one."""

    def invite_new(count: int) -> list[str]:
        people = [
            create_user(
                f"p{count}-{n}",
                "新人",
                Role.CONTRACTOR,
                contractor_id=cast.own.id,
                email=f"p{count}-{n}@caterer.example",
            )
            for n in range(count)
        ]
        db.session.flush()
        with statements() as seen:
            links = invite_many(people, cast.admin)
            db.session.flush()
        db.session.commit()
        assert len({link for _user, link in links}) == count
        return seen

    few, many = invite_new(3), invite_new(40)
    assert [s for s in few if not s.startswith("INSERT")] == [
        s for s in many if not s.startswith("INSERT")
    ]
    if db.engine.dialect.name == "postgresql":
        assert few == many
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 43


# --- the users page --------------------------------------------------------------------------


def test_the_administrator_sees_the_link_and_its_qr_code_once(client, cast):
    login(client, cast.admin)
    answer = client.post(
        "/admin/users/new",
        data={
            "username": "zhou",
            "display_name": "周经理",
            "role": "contractor",
            "contractor_id": cast.own.id,
            "email": "zhou@caterer.example",
        },
    )
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["HX-Push-Url"] == "false"
    link = re.search(r'id="invitation-link"[^>]*value="([^"]+)"', answer.text)[1]
    token = link.rsplit("/", 1)[1]
    assert "<svg" in answer.text and "data-copy" in answer.text
    assert "zhou@caterer.example" in answer.text, "says the e-mail is on its way"

    users_page = client.get("/admin/users")
    assert "周经理" in users_page.text and "邀请链接有效至" in users_page.text
    assert token not in users_page.text
    zhou = db.session.scalar(sa.select(User.id).where(User.username == "zhou"))
    again = client.post(f"/admin/users/{zhou}/invite")
    assert again.status_code == 200 and token not in again.text
    assert client.get(path_of(link)).status_code == 404, "the new link replaced it"


def test_deactivating_ends_the_persons_sessions_for_good(app, client, cast):
    phone = app.test_client()
    login(phone, cast.colleague)
    login(client, cast.admin)
    assert client.post(f"/admin/users/{cast.colleague.id}/deactivate").status_code == 302
    assert phone.get("/").status_code == 302
    assert client.post(f"/admin/users/{cast.colleague.id}/reactivate").status_code == 302
    assert phone.get("/").status_code == 302, "an old session does not come back"
    login(phone, cast.colleague)


def test_no_one_deactivates_their_own_account(client, cast):
    login(client, cast.admin)
    client.post(f"/admin/users/{cast.admin.id}/deactivate")
    assert db.session.get(User, cast.admin.id).active


# --- contractors' own administrators -----------------------------------------------------------


@pytest.fixture
def keeper(cast, make_user):
    """The administrator of the caterer, `cast.own`."""
    return make_user(Role.CONTRACTOR_ADMIN, contractor=cast.own, username="caterer-admin")


def test_a_contractor_administrator_lists_only_its_companys_accounts(client, cast, keeper):
    other_keeper = User(
        username="guard-admin",
        display_name="安泰管理员",
        role=Role.CONTRACTOR_ADMIN,
        contractor_id=cast.other.id,
    )
    other_keeper.set_password(PASSWORD)
    db.session.add(other_keeper)
    db.session.commit()
    login(client, keeper)
    page = client.get("/admin/users").text
    shown = set(re.findall(r'<span class="muted">([\w.-]+)</span>', page))
    assert shown == {keeper.username, cast.owner.username, cast.colleague.username}
    assert "/edit" not in page and "/unlock" not in page


def test_a_contractor_administrator_invites_its_own_companys_users_only(client, cast, keeper):
    login(client, keeper)
    form = client.get("/admin/users/new").text
    assert 'name="role"' not in form and 'name="contractor_id"' not in form
    answer = client.post(
        "/admin/users/new",
        data={
            "username": "cook",
            "display_name": "厨师",
            "role": "admin",  # forged: the form has no such field for them
            "contractor_id": cast.other.id,
        },
    )
    assert answer.status_code == 200
    cook = db.session.scalar(sa.select(User).where(User.username == "cook"))
    assert (cook.role, cook.contractor_id) == (Role.CONTRACTOR, cast.own.id)


def test_a_contractor_administrator_re_invites_and_deactivates_its_colleagues(client, cast, keeper):
    login(client, keeper)
    assert client.post(f"/admin/users/{cast.colleague.id}/invite").status_code == 200
    assert client.post(f"/admin/users/{cast.colleague.id}/deactivate").status_code == 302
    db.session.refresh(cast.colleague)
    assert not cast.colleague.active
    assert client.post(f"/admin/users/{cast.colleague.id}/reactivate").status_code == 302
    db.session.refresh(cast.colleague)
    assert cast.colleague.active


@pytest.mark.parametrize("target", ["outsider", "other_keeper", "inspector", "manager", "admin"])
@pytest.mark.parametrize("action", ["invite", "deactivate", "reactivate"])
def test_a_contractor_administrator_touches_no_one_elses_account(
    client, cast, keeper, make_user, target, action
):
    other_keeper = make_user(Role.CONTRACTOR_ADMIN, contractor=cast.other)
    person = other_keeper if target == "other_keeper" else getattr(cast, target)
    if action == "reactivate":
        person.active = False
        db.session.commit()
    login(client, keeper)
    before = (
        person.active,
        db.session.scalar(sa.select(sa.func.count(Invitation.id))),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    )
    assert client.post(f"/admin/users/{person.id}/{action}").status_code == 404
    db.session.expire_all()
    after = (
        db.session.get(User, person.id).active,
        db.session.scalar(sa.select(sa.func.count(Invitation.id))),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    )
    assert after == before


def test_a_contractor_administrator_cannot_edit_or_unlock_anyone(client, cast, keeper):
    login(client, keeper)
    for person in (cast.colleague, cast.outsider, cast.inspector):
        assert client.get(f"/admin/users/{person.id}/edit").status_code == 403
        assert client.post(f"/admin/users/{person.id}/edit", data={}).status_code == 403
        assert client.post(f"/admin/users/{person.id}/unlock").status_code == 403


def test_a_contractors_plain_user_keeps_no_accounts(client, cast):
    login(client, cast.owner)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert client.post(f"/admin/users/{cast.colleague.id}/invite").status_code == 403
    assert client.post(f"/admin/users/{cast.colleague.id}/deactivate").status_code == 403


def test_a_contractor_administrator_needs_a_company(cast):
    with pytest.raises(sa.exc.IntegrityError):
        create_user("lonely", "无单位", Role.CONTRACTOR_ADMIN, PASSWORD)
        db.session.flush()
    db.session.rollback()
