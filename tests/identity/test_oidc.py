"""Sign-in with a bureau's own OIDC service, against a real provider process (tests/oidc_server.py):
the code flow with PKCE, the checks on what comes back, linking and unlinking, and accounts
made on first sign-in."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
import time_machine

from app import create_app
from app.auth.access import may_be_made_on_first_sign_in
from app.auth.models import LoginAttempt, Role, User
from app.auth.users import authenticate, create_user, find_user
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.identity.access import may_unlink
from app.identity.linking import identities_of, link
from app.identity.models import ExternalIdentity, Provider
from app.organisation.invitations import invite
from tests.helpers import PASSWORD, login
from tests.oidc_server import OIDCProvider

CALLBACK = "http://localhost/login/oidc/callback"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    server = OIDCProvider(tmp_path_factory.mktemp("oidc") / "provider.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def registered(provider):
    """This app as a client of the provider: its id and secret."""
    return provider.register_client(CALLBACK)


@pytest.fixture
def oidc_settings(provider, registered):
    client_id, secret = registered
    return {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": client_id,
        "OIDC_CLIENT_SECRET": secret,
    }


@pytest.fixture
def extra_settings():
    return {}


@pytest.fixture
def app_config(app_config, oidc_settings, extra_settings):
    return {**app_config, **oidc_settings, **extra_settings}


def start(client, provider, path="/login/oidc") -> str:
    """Begin at the app: the provider's sign-in page it sends the browser to."""
    answer = client.get(path)
    assert answer.status_code == 302, answer.text[:300]
    assert answer.location.startswith(f"{provider.issuer}/oauth2/authorize?")
    return answer.location


def sign_in(client, provider, subject, path="/login/oidc"):
    """The whole round: the app, the provider's form answered as `subject`, the callback."""
    return client.get(provider.authorize(start(client, provider, path), subject))


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


def linked(user, subject, display="张巡查"):
    identity = link(user, Provider.OIDC, subject, display)
    db.session.commit()
    return identity


def signed_in_as(client) -> str | None:
    """The display name the home page greets, or None when it sends to the login page."""
    home = client.get("/")
    return None if home.status_code == 302 else home.text


# Signing in


def test_a_linked_user_signs_in_with_no_password(client, provider, make_user):
    user = make_user(Role.INSPECTOR, display_name="周巡查")
    identity = linked(user, "zhou.xuncha")
    provider.set_user("zhou.xuncha", name="周巡查")

    authorize = start(client, provider)
    asked = parse_qs(urlsplit(authorize).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
    assert asked["nonce"][0] and asked["state"][0] and asked["redirect_uri"] == [CALLBACK]
    assert asked["client_id"] == [client.application.config["OIDC_CLIENT_ID"]]
    answer = client.get(provider.authorize(authorize, "zhou.xuncha"))

    assert answer.status_code == 302 and answer.location == "/"
    assert "周巡查" in signed_in_as(client)
    db.session.expire_all()
    assert user.last_login_at is not None and identity.last_used_at is not None
    attempt = db.session.scalar(sa.select(LoginAttempt).filter_by(username=user.username))
    assert attempt.succeeded, "the sign-in is in the login record as a password login is"


def test_sign_in_goes_on_to_a_local_next_page_only(client, provider, make_user):
    linked(make_user(), "next.page")
    answer = sign_in(client, provider, "next.page", "/login/oidc?next=/inbox")
    assert answer.location == "/inbox"
    client.post("/logout")
    answer = sign_in(client, provider, "next.page", "/login/oidc?next=//evil.example/")
    assert answer.location == "/"


def test_the_session_of_a_sign_in_ends_with_a_logout_like_any_other(client, provider, make_user):
    user = make_user()
    linked(user, "ends.too")
    sign_in(client, provider, "ends.too")
    cookie = client.get_cookie("session").value
    client.post("/logout")
    client.set_cookie("session", cookie)
    assert signed_in_as(client) is None, "a copy of the old session cookie opens nothing"


# What comes back is checked


def test_a_callback_with_a_wrong_state_is_refused(client, provider, make_user):
    linked(make_user(), "state.check")
    back = provider.authorize(start(client, provider), "state.check")
    answer = client.get(with_query(back, state="forged-state"))
    assert answer.status_code == 400 and "登录失败" in answer.text
    assert signed_in_as(client) is None


def test_a_callback_from_another_browser_is_refused(app, client, provider, make_user):
    """A code and state sent to someone else's browser (a link in a message) sign in nobody:
    the state is kept in the session of the browser that started."""
    linked(make_user(), "other.browser")
    back = provider.authorize(start(client, provider), "other.browser")
    stranger = app.test_client()
    assert stranger.get(back).status_code == 400
    assert signed_in_as(stranger) is None


def test_a_replayed_code_is_refused(client, provider, make_user):
    linked(make_user(), "replay")
    back = provider.authorize(start(client, provider), "replay")
    assert client.get(back).location == "/"
    client.post("/logout")

    assert client.get(back).status_code == 400, "the same callback again: its state is spent"
    fresh = provider.authorize(start(client, provider), "replay")
    old_code = parse_qs(urlsplit(back).query)["code"][0]
    answer = client.get(with_query(fresh, code=old_code))
    assert answer.status_code == 400, "a used code under a fresh state: the provider refuses it"
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-client"},
        {"aud": ["another-client"], "azp": "another-client"},
        {"aud": ["another-client"], "azp": "ours"},
        {"iss": "http://evil.example"},
        {"nonce": "a-nonce-of-another-sign-in"},
        {"foreign_key": True},
    ],
    ids=["audience", "audience-list", "audience-naming-us-as-azp", "issuer", "nonce", "signature"],
)
def test_an_id_token_failing_a_check_signs_in_nobody(client, provider, make_user, changes):
    linked(make_user(), "checked")
    back = provider.authorize(start(client, provider), "checked")
    ours = client.application.config["OIDC_CLIENT_ID"]
    provider.next_id_token(**{k: ours if v == "ours" else v for k, v in changes.items()})
    answer = client.get(back)
    assert answer.status_code == 400 and "登录失败" in answer.text
    assert signed_in_as(client) is None


def test_an_expired_id_token_signs_in_nobody(client, provider, make_user):
    linked(make_user(), "expired")
    back = provider.authorize(start(client, provider), "expired")
    provider.next_id_token(lifetime=60)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=10), tick=True):
        answer = client.get(back)
    assert answer.status_code == 400
    assert signed_in_as(client) is None


def test_the_same_token_a_minute_old_still_signs_in(client, provider, make_user):
    """The expiry test's twin: only the token's age refuses it."""
    linked(make_user(), "fresh")
    back = provider.authorize(start(client, provider), "fresh")
    provider.next_id_token(lifetime=60)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=50), tick=True):
        assert client.get(back).location == "/"


def test_the_service_saying_no_shows_a_clear_page(client, provider):
    back = provider.deny(start(client, provider))
    assert "error=access_denied" in back
    answer = client.get(back)
    assert answer.status_code == 400 and "登录失败" in answer.text


def test_a_callback_with_nothing_is_a_clear_page(client):
    answer = client.get("/login/oidc/callback")
    assert answer.status_code == 400 and "登录失败" in answer.text


@pytest.mark.parametrize("extra_settings", [{"OIDC_ISSUER": "http://127.0.0.1:9"}])
def test_a_service_that_cannot_be_reached_is_a_clear_page(client):
    answer = client.get("/login/oidc")
    assert answer.status_code == 502 and "无法连接" in answer.text


# Linking, never guessing


def test_an_unlinked_identity_is_told_how_to_link_and_never_matched(client, provider, make_user):
    make_user(
        Role.INSPECTOR, username="zhang.wei", display_name="张伟", email="zhang.wei@bureau.gov.cn"
    )
    provider.set_user(
        "sso-7731",
        name="张伟",
        preferred_username="zhang.wei",
        email="zhang.wei@bureau.gov.cn",
        phone_number="13800000000",
    )
    answer = sign_in(client, provider, "sso-7731")
    assert answer.status_code == 403
    assert "未绑定" in answer.text and "张伟" in answer.text
    assert "登录方式" in answer.text and "邀请链接" in answer.text
    assert signed_in_as(client) is None
    assert db.session.scalar(sa.select(sa.func.count(ExternalIdentity.id))) == 0


def test_a_deactivated_users_identity_signs_in_nobody(client, provider, make_user):
    user = make_user()
    linked(user, "gone")
    user.active = False
    db.session.commit()
    answer = sign_in(client, provider, "gone")
    assert answer.status_code == 403 and "已停用" in answer.text
    assert signed_in_as(client) is None


def test_a_person_links_and_unlinks_their_identity(client, provider, make_user):
    user = make_user(display_name="吴巡查")
    provider.set_user("wu.xuncha", name="吴巡查")
    login(client, user)
    page = client.get("/account/identities")
    assert page.status_code == 200 and "绑定统一身份认证" in page.text
    start_link = page.text.split('href="/account/identities/oidc?')[1].split('"')[0]

    answer = sign_in(client, provider, "wu.xuncha", f"/account/identities/oidc?{start_link}")
    assert answer.location == "/account/identities"
    page = client.get("/account/identities")
    assert "已绑定统一身份认证身份" in page.text and "吴巡查" in page.text
    assert "/account/identities/oidc?" not in page.text, "one identity per service"
    (identity,) = identities_of(user)
    assert (identity.subject, identity.display) == ("wu.xuncha", "吴巡查")

    client.post("/logout")
    assert sign_in(client, provider, "wu.xuncha").location == "/"
    answer = client.post(f"/account/identities/{identity.id}/unlink")
    assert answer.location == "/account/identities"
    assert identities_of(user) == []
    events = db.session.scalars(
        sa.select(AuditEvent).filter_by(object_type="users", object_id=user.id)
    ).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("identity_linked", user.id),
        ("identity_unlinked", user.id),
    ]
    client.post("/logout")
    assert sign_in(client, provider, "wu.xuncha").status_code == 403


def test_linking_needs_the_pages_csrf_token(client, provider, make_user):
    login(client, make_user())
    assert client.get("/account/identities/oidc").status_code == 400
    assert client.get("/account/identities/oidc?csrf_token=forged").status_code == 400


def test_an_identity_linked_to_someone_else_is_not_linked_again(client, provider, make_user):
    linked(make_user(), "taken")
    me = make_user()
    login(client, me)
    page = client.get("/account/identities")
    start_link = page.text.split('href="/account/identities/oidc?')[1].split('"')[0]
    answer = sign_in(client, provider, "taken", f"/account/identities/oidc?{start_link}")
    assert answer.location == "/account/identities"
    assert "该身份已绑定到其他账号" in client.get("/account/identities").text
    assert identities_of(me) == []


def test_a_link_that_comes_back_after_a_logout_links_nothing(client, provider, make_user):
    user = make_user()
    login(client, user)
    page = client.get("/account/identities")
    start_link = page.text.split('href="/account/identities/oidc?')[1].split('"')[0]
    authorize = start(client, provider, f"/account/identities/oidc?{start_link}")
    back = provider.authorize(authorize, "late")
    client.post("/logout")
    answer = client.get(back)
    assert answer.status_code == 400 and "重新登录后再绑定" in answer.text
    assert identities_of(user) == []


def test_only_the_owner_or_an_administrator_unlinks(client, provider, make_user):
    owner, other, admin = make_user(), make_user(), make_user(Role.ADMIN)
    identity = linked(owner, "owned")
    login(client, other)
    assert client.post(f"/account/identities/{identity.id}/unlink").status_code == 404
    client.post("/logout")

    login(client, admin)
    assert "张巡查" in client.get(f"/admin/users/{owner.id}/identities").text
    answer = client.post(f"/account/identities/{identity.id}/unlink")
    assert answer.location == f"/admin/users/{owner.id}/identities"
    assert identities_of(owner) == []
    event = db.session.scalar(sa.select(AuditEvent).filter_by(action="identity_unlinked"))
    assert (event.object_id, event.actor_id) == (owner.id, admin.id)


def test_only_an_administrator_sees_anothers_identities(client, make_user):
    owner = make_user()
    login(client, make_user(Role.MANAGER))
    assert client.get(f"/admin/users/{owner.id}/identities").status_code == 403


# Accounts made on first sign-in


@pytest.mark.parametrize(
    "extra_settings", [{"OIDC_AUTO_CREATE_GROUP": "巡查科", "OIDC_AUTO_CREATE_ROLE": "inspector"}]
)
def test_a_member_of_the_chosen_group_gets_an_account_on_first_sign_in(client, provider):
    provider.set_user(
        "new.one", name="钱新人", preferred_username="qian", groups=["办公室", "巡查科"]
    )
    answer = sign_in(client, provider, "new.one")
    assert answer.location == "/"
    user = find_user("qian")
    assert (user.display_name, user.role, user.contractor_id) == ("钱新人", Role.INSPECTOR, None)
    assert [i.subject for i in identities_of(user)] == ["new.one"]
    assert authenticate("qian", "") is None, "it has no password anyone knows"
    actions = db.session.scalars(
        sa.select(AuditEvent.action).filter_by(object_type="users", object_id=user.id)
    ).all()
    assert actions == ["user_created", "identity_linked"]

    client.post("/logout")
    assert sign_in(client, provider, "new.one").location == "/"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1, "made once"


@pytest.mark.parametrize(
    "extra_settings", [{"OIDC_AUTO_CREATE_GROUP": "巡查科", "OIDC_AUTO_CREATE_ROLE": "inspector"}]
)
def test_a_made_account_never_takes_an_existing_name(client, provider, make_user):
    existing = make_user(username="sun")
    provider.set_user("sun.sso", name="孙同名", preferred_username="sun", groups=["巡查科"])
    assert sign_in(client, provider, "sun.sso").location == "/"
    assert identities_of(existing) == [], "the account named alike is not linked"
    assert find_user("sun-2").display_name == "孙同名"


@pytest.mark.parametrize(
    "extra_settings", [{"OIDC_AUTO_CREATE_GROUP": "巡查科", "OIDC_AUTO_CREATE_ROLE": "inspector"}]
)
def test_someone_outside_the_group_gets_no_account(client, provider):
    provider.set_user("outside", name="局外人", groups=["办公室"])
    assert sign_in(client, provider, "outside").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_contractor_account_is_made_for_the_named_contractor(
    app, client, provider, make_contractor
):
    company = make_contractor(name="禾香餐饮管理有限公司")
    app.config.update(
        OIDC_AUTO_CREATE_GROUP="禾香",
        OIDC_AUTO_CREATE_ROLE="contractor",
        OIDC_AUTO_CREATE_CONTRACTOR="禾香餐饮管理有限公司",
    )
    provider.set_user("hexiang.1", name="禾香班长", groups="禾香")
    assert sign_in(client, provider, "hexiang.1").location == "/"
    (identity,) = db.session.scalars(sa.select(ExternalIdentity)).all()
    assert (identity.user.role, identity.user.contractor_id) == (Role.CONTRACTOR, company.id)


@pytest.mark.parametrize("role", ["manager", "admin", "superuser"])
def test_accounts_are_never_made_as_manager_or_admin(app_config, role):
    with pytest.raises(ValueError, match="inspector or contractor"):
        create_app(
            {**app_config, "OIDC_AUTO_CREATE_GROUP": "巡查科", "OIDC_AUTO_CREATE_ROLE": role}
        )


@pytest.mark.parametrize(
    "extra_settings", [{"OIDC_AUTO_CREATE_GROUP": "巡查科", "OIDC_AUTO_CREATE_ROLE": "inspector"}]
)
def test_a_role_changed_after_the_start_is_refused_when_used(app, client, provider):
    app.config["OIDC_AUTO_CREATE_ROLE"] = Role.ADMIN.value
    provider.set_user("climber", name="越权", groups=["巡查科"])
    answer = sign_in(client, provider, "climber")
    assert answer.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


@pytest.mark.parametrize(
    "settings",
    [
        {"OIDC_AUTO_CREATE_ROLE": "inspector"},
        {"OIDC_AUTO_CREATE_GROUP": "巡查科", "OIDC_AUTO_CREATE_ROLE": "contractor"},
        {
            "OIDC_AUTO_CREATE_GROUP": "巡查科",
            "OIDC_AUTO_CREATE_ROLE": "inspector",
            "OIDC_AUTO_CREATE_CONTRACTOR": "禾香",
        },
        {"OIDC_CLIENT_SECRET": ""},
    ],
)
def test_settings_that_cannot_work_stop_the_app_at_start(app_config, settings):
    with pytest.raises(ValueError):
        create_app({**app_config, **settings})


# Nothing configured: as before


@pytest.mark.parametrize("oidc_settings", [{}])
def test_with_nothing_configured_there_is_no_button_and_no_route(client, make_user):
    assert "统一身份认证" not in client.get("/login").text
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
    user = make_user(Role.ADMIN)
    login(client, user)
    assert "登录方式" not in client.get("/").text
    assert client.get("/account/identities").status_code == 404
    assert client.get(f"/admin/users/{user.id}/identities").status_code == 404
    assert client.get("/account/identities/oidc").status_code == 404


def test_when_configured_the_login_page_offers_the_service_keeping_next(client):
    page = client.get("/login?next=/inbox")
    assert "使用统一身份认证登录" in page.text
    assert 'href="/login/oidc?next=/inbox"' in page.text


@pytest.mark.parametrize("extra_settings", [{"OIDC_NAME": "市政务统一身份认证"}])
def test_the_service_goes_by_the_name_the_bureau_gives_it(client, make_user):
    assert "使用市政务统一身份认证登录" in client.get("/login").text
    login(client, make_user())
    assert "绑定市政务统一身份认证" in client.get("/account/identities").text


def test_password_login_still_works_beside_it(client, make_user):
    user = make_user()
    assert (
        client.post("/login", data={"username": user.username, "password": PASSWORD}).location
        == "/"
    )


# Accepting an invitation with the identity instead of a password


def test_an_invitation_is_accepted_with_the_identity_and_used_up(client, provider, make_user):
    admin = make_user(Role.ADMIN)
    invited = create_user("li.xuncha", "李巡查", Role.INSPECTOR)
    token = invite(invited, admin).rsplit("/", 1)[1]
    db.session.commit()
    page = client.get(f"/invite/{token}")
    assert f"/invite/{token}/oidc" in page.text, "the invitation offers the service"

    provider.set_user("sso-li", name="李巡查")
    answer = sign_in(client, provider, "sso-li", f"/invite/{token}/oidc")
    assert answer.status_code == 302 and answer.location == "/"
    assert "李巡查" in signed_in_as(client)
    db.session.expire_all()
    assert [i.subject for i in identities_of(invited)] == ["sso-li"]
    assert not invited.has_password, "no password was set: the identity is the way in"
    accepted = db.session.scalar(sa.select(AuditEvent).filter_by(action="invitation_accepted"))
    assert accepted.object_id == invited.id

    client.post("/logout")
    assert client.get(f"/invite/{token}/oidc").location == f"/invite/{token}", "used once"
    assert client.get(f"/invite/{token}").status_code == 404
    assert sign_in(client, provider, "sso-li").location == "/", "it signs in from now on"


def test_an_identity_linked_elsewhere_accepts_no_invitation(client, provider, make_user):
    linked(make_user(), "sso-taken")
    invited = create_user("wang.xuncha", "王巡查", Role.INSPECTOR)
    token = invite(invited, None).rsplit("/", 1)[1]
    db.session.commit()
    answer = sign_in(client, provider, "sso-taken", f"/invite/{token}/oidc")
    assert answer.status_code == 409 and "已绑定到其他账号" in answer.text
    assert signed_in_as(client) is None
    db.session.expire_all()
    assert identities_of(invited) == []
    assert client.get(f"/invite/{token}").status_code == 200, "the link still works"


@pytest.mark.parametrize("role", list(Role))
def test_a_person_unlinks_their_own_identities_and_the_administrator_anyones(role):
    person = SimpleNamespace(id=1, role=role)
    assert may_unlink(person, SimpleNamespace(user_id=1))
    assert may_unlink(person, SimpleNamespace(user_id=2)) is (role == Role.ADMIN)


@pytest.mark.parametrize("role", list(Role))
def test_first_sign_in_makes_inspectors_and_contractors_only(role):
    expected = role in (Role.INSPECTOR, Role.CONTRACTOR)
    assert may_be_made_on_first_sign_in(role) is expected
    assert may_be_made_on_first_sign_in(role.value) is expected, "as the settings name it"
