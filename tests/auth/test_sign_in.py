import hashlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_login.utils import encode_cookie

from app.auth.access import (
    belongs_to_a_contractor,
    company_of_new_account,
    gives_up_own_administration,
    keeps_every_account,
    keeps_the_system,
    role_of_new_account,
)
from app.auth.models import LoginAttempt, Role, User
from app.auth.throttle import is_account_locked, locked_accounts, record_attempt
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.timeutil import utcnow
from tests.helpers import PASSWORD, login


def test_login_with_right_password_opens_the_home_page(client, make_user):
    user = make_user(Role.INSPECTOR)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/"
    page = client.get("/")
    assert page.status_code == 200 and user.display_name in page.text
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_username_is_matched_without_case(client, make_user):
    user = make_user(Role.INSPECTOR, username="Zhang")
    response = client.post("/login", data={"username": "zhang", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200 and user.username == "Zhang"


def test_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": "nope-nope"})
    assert response.status_code == 422
    assert "用户名或密码错误" in response.text
    assert client.get("/").status_code == 302


def test_deactivated_user_cannot_log_in(client, make_user):
    user = make_user(active=False)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 422


def test_account_locks_after_five_failures_even_with_the_right_password(app, client, make_user):
    user = make_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        client.post("/login", data={"username": user.username, "password": "wrong-pass"})
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.text


def test_failures_under_any_casing_count_against_the_one_account(app, client, make_user):
    user = make_user(username="Inspector2")
    spellings = ["Inspector2", "iNspector2", "inSpector2", " INSPECTOR2", "inspector2 "]
    for name in spellings[: app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]]:
        client.post("/login", data={"username": name, "password": "wrong-pass"})
    for name in ("INSPECTOR2", "inspector2", user.username):
        response = client.post("/login", data={"username": name, "password": PASSWORD})
        assert response.status_code == 429, f"{name} logged in to a locked account"


def test_a_name_beyond_ascii_logs_in_and_locks_under_the_casing_the_database_matches(
    app, client, make_user
):
    """The lock and the lookup lower a name with the same function, the database's: SQLite's
    lowers only ASCII letters, PostgreSQL's may lower more, and either way they agree."""
    user = make_user(username="Ärzt")
    login(client, user)
    client.post("/logout")
    response = client.post("/login", data={"username": "ÄRZT ", "password": PASSWORD})
    assert response.status_code == 302, "the lookup matches a name as typed, in another case"
    client.post("/logout")
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        client.post("/login", data={"username": "ÄRZT", "password": "wrong-pass"})
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 429


def test_address_is_blocked_after_many_failures_across_accounts(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 4
    user = make_user()
    for n in range(4):
        client.post("/login", data={"username": f"guess{n}", "password": "wrong-pass"})
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 429


def test_success_resets_the_account_failure_count(app, client, make_user):
    user = make_user()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit - 1):
        client.post("/login", data={"username": user.username, "password": "wrong-pass"})
    login(client, user)
    client.post("/logout")
    client.post("/login", data={"username": user.username, "password": "wrong-pass"})
    login(client, user)


def test_admin_unlocks_a_locked_account(app, client, make_user):
    user = make_user()
    admin = make_user(Role.ADMIN)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        client.post("/login", data={"username": user.username, "password": "wrong-pass"})
    login(client, admin)
    users_page = client.get("/admin/users")
    assert "登录失败已锁定" in users_page.text
    assert client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    client.post("/logout")
    login(client, user)


def test_failures_under_another_casing_show_as_locked_and_are_unlocked(app, client, make_user):
    user = make_user(username="Wang")
    admin = make_user(Role.ADMIN)
    for _ in range(app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]):
        client.post("/login", data={"username": "WANG", "password": "wrong-pass"})
    login(client, admin)
    assert "登录失败已锁定" in client.get("/admin/users").text
    client.post(f"/admin/users/{user.id}/unlock")
    client.post("/logout")
    login(client, user)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/certificates", "/certificates"),
        ("/inbox%3Fpage%3D2", "/inbox?page=2"),
        ("/%E6%A3%80%E6%9F%A5", "/%E6%A3%80%E6%9F%A5"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("/%5C%5Cevil.example", "/"),
        ("/%0d%0aSet-Cookie:%20stolen=1", "/"),
        ("/%0D%0ALocation:%20https://evil.example/", "/"),
        ("/inbox%0dx", "/"),
        ("/inbox%0ax", "/"),
        ("/%09/evil.example", "/"),
        ("", "/"),
    ],
)
def test_login_follows_next_only_within_the_site(client, make_user, target, expected):
    user = make_user()
    response = client.post(
        "/login?next=" + target, data={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location == expected


@pytest.mark.parametrize("target", ["/inbox\r\nSet-Cookie: stolen=1", "/inbox\r", "/inbox\n"])
def test_a_next_with_a_raw_line_break_goes_home(client, make_user, target):
    user = make_user()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": user.username, "password": PASSWORD},
    )
    assert response.status_code == 302 and response.location == "/"


def test_logout_needs_post_and_ends_the_session(client, make_user):
    login(client, make_user())
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_a_session_copied_before_logout_opens_nothing_after_it(app, client, make_user):
    user = make_user()
    login(client, user)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    pages = ["/", "/inbox", "/account/password"]
    assert [copy.get(url).status_code for url in pages] == [200, 200, 200]
    client.post("/logout")
    assert [copy.get(url).status_code for url in pages] == [302, 302, 302]


def test_logout_ends_every_session_of_the_user(app, client, make_user):
    """Sessions are ended per user, as a new password ends them: log out anywhere, and a
    lost phone, a shared computer and an old remember-me cookie are all signed out."""
    user = make_user()
    login(client, user)
    other_phone = app.test_client()
    login(other_phone, user)
    with app.test_request_context():
        remembered = encode_cookie(user.get_id())
    someone_else = app.test_client()
    login(someone_else, make_user())

    client.post("/logout")
    assert other_phone.get("/").status_code == 302
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remembered)
    assert fresh.get("/").status_code == 302
    assert someone_else.get("/").status_code == 200, "other people stay signed in"
    login(client, user)
    assert client.get("/").status_code == 200


@pytest.fixture
def key_derivations(monkeypatch):
    """How many times a password was run through the (test suite's pbkdf2) hash."""
    calls = []
    real = hashlib.pbkdf2_hmac

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counted)
    return calls


@pytest.mark.parametrize(
    "named", ["an existing user", "a deactivated user", "an invited user", "nobody"]
)
def test_a_failed_login_hashes_the_password_once_whoever_is_named(
    client, make_user, key_derivations, named
):
    """The same work for every name, so the time taken does not tell which names exist."""
    active = make_user()
    inactive = make_user(active=False)
    invited = make_user()
    invited.set_no_password()  # waits for its person to set one from an invitation
    db.session.commit()
    username = {
        "an existing user": active.username,
        "a deactivated user": inactive.username,
        "an invited user": invited.username,
        "nobody": "no-such-user",
    }[named]
    key_derivations.clear()  # making the users hashed their passwords
    response = client.post("/login", data={"username": username, "password": "wrong-pass"})
    assert response.status_code == 422
    assert len(key_derivations) == 1


def test_passwords_are_stored_hashed(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)


def test_user_changes_own_password(client, make_user):
    user = make_user()
    login(client, user)
    bad = client.post(
        "/account/password",
        data={"current": "wrong", "new": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert bad.status_code == 422
    client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "new-pass-123", "confirm": "new-pass-123"},
    )
    client.post("/logout")
    login(client, user, password="new-pass-123")


def test_admin_creates_a_contractor_user_who_sets_the_password(client, make_user, make_contractor):
    contractor = make_contractor()
    login(client, make_user(Role.ADMIN))
    response = client.post(
        "/admin/users/new",
        data={
            "username": "zhou",
            "display_name": "周经理",
            "role": "contractor",
            "contractor_id": contractor.id,
            "password": "typed-by-the-admin",
            "email": "zhou@example.com",
        },
    )
    assert response.status_code == 200, "the invitation link is shown"
    assert db.session.scalar(sa.select(User.email).where(User.username == "zhou")) == (
        "zhou@example.com"
    ), "for notifications by e-mail"
    link = re.search(r'value="(http[^"]+/invite/[^"]+)"', response.text)[1]
    client.post("/logout")
    refused = client.post("/login", data={"username": "zhou", "password": "typed-by-the-admin"})
    assert refused.status_code == 422, "no password is handed out"
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.post(f"/{path}", data={"new": "long-enough-1", "confirm": "long-enough-1"})
    response = client.post("/login", data={"username": "zhou", "password": "long-enough-1"})
    assert response.status_code == 302
    events = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert {"user_created", "user_invited", "invitation_accepted"} <= set(events)


@pytest.mark.parametrize(
    "role, contractor, message",
    [
        ("contractor", False, "承包单位用户必须指定所属承包单位"),
        ("inspector", True, "只有承包单位用户才能指定所属承包单位"),
    ],
)
def test_user_form_keeps_contractor_and_role_consistent(
    client, make_user, make_contractor, role, contractor, message
):
    company = make_contractor()
    login(client, make_user(Role.ADMIN))
    response = client.post(
        "/admin/users/new",
        data={
            "username": "someone",
            "display_name": "某人",
            "role": role,
            "contractor_id": company.id if contractor else 0,
            "password": "long-enough-1",
        },
    )
    assert response.status_code == 422 and message in response.text


def test_duplicate_username_is_refused(client, make_user):
    existing = make_user()
    login(client, make_user(Role.ADMIN))
    response = client.post(
        "/admin/users/new",
        data={
            "username": existing.username.upper(),
            "display_name": "某人",
            "role": "inspector",
            "contractor_id": 0,
            "password": "long-enough-1",
        },
    )
    assert response.status_code == 422 and "该用户名已被使用" in response.text


def test_admin_cannot_demote_themselves(client, make_user):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    response = client.post(
        f"/admin/users/{admin.id}/edit",
        data={
            "username": admin.username,
            "display_name": "x",
            "role": "inspector",
            "contractor_id": 0,
            "active": "y",
        },
    )
    assert response.status_code == 422
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN


class TestCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_form_post_without_token_is_refused(self, client, make_user):
        user = make_user()
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 400 and "表单已过期" in response.text

    def test_form_token_and_htmx_header_token_are_accepted(self, client, make_user):
        user = make_user()
        page = client.get("/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[1]
        response = client.post(
            "/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302
        home = client.get("/")
        header_token = re.search(r'"X-CSRFToken": "([^"]+)"', home.text)[1]
        assert client.post("/logout").status_code == 400
        assert (
            client.post(
                "/logout", headers={"X-CSRFToken": header_token, "HX-Request": "true"}
            ).status_code
            == 302
        )


def test_a_password_change_ends_every_other_session(app, client, make_user):
    user = make_user()
    login(client, user)
    other_phone = app.test_client()
    login(other_phone, user)
    remembered = app.test_client()
    with app.test_request_context():
        cookie = encode_cookie(user.get_id())  # remember-me, as Flask-Login sets it
    remembered.set_cookie("remember_token", cookie)
    assert remembered.get("/").status_code == 200, "the cookie works before the change"

    client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert client.get("/").status_code == 200, "the phone that changed it stays signed in"
    assert other_phone.get("/").status_code == 302, "the other phone must log in again"
    fresh = app.test_client()
    fresh.set_cookie("remember_token", cookie)
    assert fresh.get("/").status_code == 302, "the old remember-me cookie is void"


def test_a_password_set_from_a_new_invitation_ends_the_users_sessions(app, client, make_user):
    user = make_user()
    phone = app.test_client()
    login(phone, user)
    admin = make_user(Role.ADMIN)
    login(client, admin)
    shown = client.post(f"/admin/users/{user.id}/invite")
    path = re.search(r'value="https?://[^/"]+(/invite/[^"]+)"', shown.text)[1]
    assert phone.get("/").status_code == 200, "a new link alone changes nothing"
    stranger = app.test_client()
    answer = stranger.post(path, data={"new": "reset-pass-123", "confirm": "reset-pass-123"})
    assert answer.status_code == 302
    assert phone.get("/").status_code == 302
    assert client.get("/admin/users").status_code == 200, "the administrator is still in"


# Who keeps which accounts, role by role: only the bureau's administrator keeps every account
# and chooses a new account's role and company; a contractor's administrator adds its own
# company's contractor users.
KEEPS_EVERY_ACCOUNT = {
    Role.INSPECTOR: False,
    Role.MANAGER: False,
    Role.CONTRACTOR: False,
    Role.CONTRACTOR_ADMIN: False,
    Role.ADMIN: True,
}


@pytest.mark.parametrize("role", list(Role))
def test_only_the_bureaus_administrator_keeps_every_account(role):
    keeper = SimpleNamespace(
        id=1, role=role, contractor_id=7 if role.value.startswith("c") else None
    )
    assert keeps_every_account(keeper) is KEEPS_EVERY_ACCOUNT[role]
    if KEEPS_EVERY_ACCOUNT[role]:
        assert role_of_new_account(keeper, "manager") is Role.MANAGER
        assert company_of_new_account(keeper, 3) == 3
    else:
        assert role_of_new_account(keeper, "manager") is Role.CONTRACTOR
        assert company_of_new_account(keeper, 3) == keeper.contractor_id


@pytest.mark.parametrize("role", list(Role))
def test_only_contractor_roles_belong_to_a_contractor(role):
    expected = role in (Role.CONTRACTOR, Role.CONTRACTOR_ADMIN)
    assert belongs_to_a_contractor(role) is expected
    assert belongs_to_a_contractor(role.value) is expected, "as a form sends it"


def test_an_administrator_cannot_take_away_their_own_access():
    admin = SimpleNamespace(id=1, role=Role.ADMIN)
    other = SimpleNamespace(id=2, role=Role.ADMIN)
    assert gives_up_own_administration(admin, admin, "manager", True)
    assert gives_up_own_administration(admin, admin, "admin", False)
    assert not gives_up_own_administration(admin, admin, "admin", True)
    assert not gives_up_own_administration(admin, other, "manager", False)


def test_only_an_active_administrator_keeps_the_system():
    assert keeps_the_system(Role.ADMIN, True)
    assert keeps_the_system("admin", True)
    assert not keeps_the_system(Role.ADMIN, False)
    for role in (Role.MANAGER, Role.INSPECTOR, Role.CONTRACTOR, Role.CONTRACTOR_ADMIN):
        assert not keeps_the_system(role, True)


def test_the_locked_accounts_are_those_is_account_locked_finds_one_by_one(app, make_user):
    """The administrator's pages find every locked account in one statement: locked after
    the limit's failures, under any casing or with spaces; not below the limit, not after a
    later success, not when the failures are older than the window; locked again by failures
    after a success; a name beyond ASCII as the database lowers it."""
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    attempts = {
        "locked": ["locked"] * limit,
        "Casing": ["CASING", " casing", "Casing "] + ["casing"] * (limit - 3),
        "below": ["below"] * (limit - 1),
        "forgiven": ["forgiven"] * limit + ["+forgiven"],
        "relapsed": ["forgiven"] * 2 + ["+relapsed"] + ["relapsed"] * limit,
        "Ärzt": ["ÄRZT"] * limit,
        "old": [],
    }
    users = [make_user(username=name) for name in attempts]
    for names in attempts.values():
        for name in names:
            record_attempt(name.lstrip("+"), "10.0.0.9", name.startswith("+"))
    window = app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
    for _ in range(limit):
        db.session.add(
            LoginAttempt(
                username="old",
                address="10.0.0.9",
                succeeded=False,
                at=utcnow() - timedelta(minutes=window + 1),
            )
        )
    db.session.commit()
    expected = [user for user in users if is_account_locked(user.username)]
    assert {user.username for user in expected} >= {"locked", "Casing", "relapsed"}
    assert not {"below", "forgiven", "old"} & {user.username for user in expected}
    assert locked_accounts(users) == expected
    assert locked_accounts([]) == []
