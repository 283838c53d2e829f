"""Signing in with 企业微信, 钉钉 and 飞书, against a local server speaking their login pages and
APIs (tests/app_servers.py): the QR code on a desktop, nothing to type inside the app, the
state and the code each good once, only a linked (and active) account opens, and accounts
made on first sign-in only for the chosen department and never as a manager or an admin."""

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa
import time_machine

from app import create_app
from app.auth.models import Role, User
from app.auth.users import create_user
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.timeutil import utcnow
from app.identity.app_api import AppError, Person
from app.identity.apps import client as app_client
from app.identity.linking import identities_of, link
from app.identity.models import ExternalIdentity, Provider
from app.organisation.invitations import invite
from tests.app_servers import APPS, AppServer
from tests.helpers import login

DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 Chrome/126.0 Mobile"
IN_APP = {
    "wecom": f"{PHONE} wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh ColorScheme/Light",
    "dingtalk": f"{PHONE} AliApp(DingTalk/7.6.0) com.alibaba.android.rimet/37000000",
    "feishu": f"{PHONE} Lark/7.20.0 LarkLocale/zh_CN ChannelName/Feishu",
}
SUBJECTS = {
    "wecom": "ZhangSan",
    "dingtalk": "iSu3ZbpQ0zKjqXkWiiS8vGwiEiE",
    "feishu": "ou_7d8a6e6df7621556ce0d21922b676706",
}


@pytest.fixture
def server():
    with AppServer() as running:
        running.trusted_hosts.add("localhost")  # the 可信域名 each console is given
        yield running


@pytest.fixture
def app_config(app_config, server):
    return {**app_config, **server.settings()}


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a browser would follow; the test follows by hand


def at_the_app(location: str) -> str:
    """Open the app's login page as the browser would: where it sends the browser back."""
    try:
        urllib.request.build_opener(_Stay).open(location, timeout=10)
    except urllib.error.HTTPError as answer:
        answer.close()
        assert answer.code == 302, answer.code
        return answer.headers["Location"]
    raise AssertionError("the login page did not send the browser back")


def local(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}"


def round_trip(client, start: str, user_agent: str = DESKTOP):
    """Start at `start` and go through the app's page: the answer to the callback."""
    out = client.get(start, headers={"User-Agent": user_agent})
    assert out.status_code == 302, out.status_code
    back = at_the_app(out.location)
    assert back.startswith("http://localhost/login/"), back
    return client.get(local(back), headers={"User-Agent": user_agent})


def linked(make_user, server, app: str, **user_fields) -> User:
    """A user whose identity in `app` is linked, and who is signed in to that app."""
    user = make_user(Role.INSPECTOR, display_name="张三", **user_fields)
    server.add(app, SUBJECTS[app], "张三", departments=["2"])
    server.signed_in[app] = SUBJECTS[app]
    link(user, Provider(app), SUBJECTS[app], "张三")
    db.session.commit()
    return user


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).filter_by(action=action)))


@pytest.mark.parametrize("service", APPS)
def test_a_linked_user_signs_in_on_a_desktop_through_the_qr_code_page(
    client, make_user, server, service
):
    user = linked(make_user, server, service)
    page = client.get("/login").text
    assert "/login/wecom" in page and "/login/dingtalk" in page and "/login/feishu" in page

    out = client.get(f"/login/{service}?next=/inbox", headers={"User-Agent": DESKTOP})
    asked = urllib.parse.urlsplit(out.location)
    query = dict(urllib.parse.parse_qsl(asked.query))
    assert (
        asked.path
        == {
            "wecom": "/wwlogin/sso/login",
            "dingtalk": "/oauth2/auth",
            "feishu": "/open-apis/authen/v1/authorize",
        }[service]
    )
    assert query["redirect_uri"] == f"http://localhost/login/{service}/callback"
    if service == "wecom":
        assert query["login_type"] == "CorpApp" and query["agentid"] == "1000002"
    if service == "dingtalk":
        assert query["prompt"] == "consent" and query["scope"] == "openid"
    assert query["state"].isalnum(), "企业微信 takes letters and digits only"

    back = client.get(local(at_the_app(out.location)))
    assert back.status_code == 302 and back.location == "/inbox"
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert client.get("/inbox").status_code == 200


@pytest.mark.parametrize("service", APPS)
def test_inside_the_app_the_login_page_signs_in_without_typing(client, make_user, server, service):
    linked(make_user, server, service)
    out = client.get("/login?next=/inbox", headers={"User-Agent": IN_APP[service]})
    assert out.status_code == 302, "no form: straight to the service's own sign-in"
    if service == "wecom":
        assert out.location.startswith(f"{server.url}/connect/oauth2/authorize?")
        assert "scope=snsapi_base" in out.location and out.location.endswith("#wechat_redirect")
    back = client.get(local(at_the_app(out.location)), headers={"User-Agent": IN_APP[service]})
    assert back.location == "/inbox"
    assert client.get("/inbox").status_code == 200


def test_inside_the_app_the_form_is_still_there_when_asked_for(client, server):
    page = client.get("/login?password=1", headers={"User-Agent": IN_APP["wecom"]})
    assert page.status_code == 200 and 'name="password"' in page.text


def test_inside_the_app_logging_out_shows_the_form_not_a_new_sign_in(client, make_user, server):
    linked(make_user, server, "wecom")
    wecom = {"User-Agent": IN_APP["wecom"]}
    assert round_trip(client, "/login", IN_APP["wecom"]).status_code == 302
    out = client.post("/logout", headers=wecom)
    page = client.get(out.location, headers=wecom)
    assert page.status_code == 200 and 'name="password"' in page.text, "logged out, it stays so"
    assert client.get("/login", headers=wecom).status_code == 302, "the next visit signs in"


@pytest.mark.parametrize(
    "asking", [{"HX-Request": "true"}, {"Sec-Fetch-Mode": "cors"}], ids=["htmx", "script"]
)
def test_inside_the_app_a_script_asking_for_the_login_page_lands_on_it(client, server, asking):
    """The outbox learns it is signed out from landing on /login: never on another site."""
    page = client.get("/login?next=/session", headers={"User-Agent": IN_APP["wecom"], **asking})
    assert page.status_code == 200


def test_with_nothing_configured_the_login_page_is_as_before(app, client):
    for key in [k for k in app.config if k.split("_")[0] in ("WECOM", "DINGTALK", "FEISHU")]:
        app.config[key] = ""
    page = client.get("/login", headers={"User-Agent": IN_APP["wecom"]})
    assert page.status_code == 200 and 'name="password"' in page.text
    assert "/login/wecom" not in page.text and "企业微信" not in page.text
    for app_name in APPS:
        assert client.get(f"/login/{app_name}").status_code == 404
        assert client.get(f"/login/{app_name}/callback?code=x&state=y").status_code == 404
    assert client.get("/login/oidc-or-anything").status_code == 404


@pytest.mark.parametrize("service", APPS)
def test_a_wrong_state_opens_nothing(client, make_user, server, service):
    linked(make_user, server, service)
    out = client.get(f"/login/{service}")
    back = urllib.parse.urlsplit(at_the_app(out.location))
    query = dict(urllib.parse.parse_qsl(back.query))
    query["state"] = "0" * 32
    refused = client.get(f"{back.path}?{urllib.parse.urlencode(query)}")
    assert refused.status_code == 400 and "已过期" in refused.text
    assert client.get("/inbox").status_code == 302, "not signed in"
    assert server.used_codes == [], "the code was never even tried"


def test_a_callback_nobody_started_here_opens_nothing(client, make_user, server):
    linked(make_user, server, "wecom")
    out = client.get("/login/wecom")
    someone_elses = local(at_the_app(out.location))
    stranger = client.application.test_client()
    assert stranger.get(someone_elses).status_code == 400, "their session has no such state"
    assert stranger.get("/inbox").status_code == 302


@pytest.mark.parametrize("service", APPS)
def test_a_replayed_code_opens_nothing(client, make_user, server, service):
    linked(make_user, server, service)
    out = client.get(f"/login/{service}")
    answer = local(at_the_app(out.location))
    assert client.get(answer).status_code == 302, "signed in"
    client.post("/logout")
    # The same answer again, in the same browser: its state is used up.
    assert client.get(answer).status_code == 400
    # With a fresh state of its own, the old code: the service refuses it.
    out = client.get(f"/login/{service}")
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(out.location).query))["state"]
    (code,) = server.used_codes
    code_param = "authCode" if service == "dingtalk" else "code"
    replay = client.get(f"/login/{service}/callback?{code_param}={code}&state={state}")
    assert replay.status_code == 502 and server.used_codes == [code, code]
    assert client.get("/inbox").status_code == 302


@pytest.mark.parametrize("service", APPS)
def test_an_unlinked_identity_gets_a_page_saying_how_to_link_it(client, make_user, server, service):
    make_user(Role.INSPECTOR, display_name="张三")  # same name: proves nothing
    server.add(service, SUBJECTS[service], "张三", departments=["2"])
    server.signed_in[service] = SUBJECTS[service]
    page = round_trip(client, f"/login/{service}")
    assert page.status_code == 403
    assert "没有绑定" in page.text and "/account/identities" in page.text
    assert "password=1" in page.text, "the way to the form, even inside the service"
    assert client.get("/inbox").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(ExternalIdentity.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


@pytest.mark.parametrize("service", APPS)
def test_a_deactivated_user_cannot_sign_in_with_the_app(
    client, app_config, make_user, server, service
):
    user = linked(make_user, server, service)
    user.active = False
    db.session.commit()
    client.application.config[f"{service.upper()}_AUTO_CREATE_DEPARTMENTS"] = "2"
    client.application.config[f"{service.upper()}_AUTO_CREATE_ROLE"] = "inspector"
    page = round_trip(client, f"/login/{service}")
    assert page.status_code == 403 and "已停用" in page.text
    assert client.get("/inbox").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1, "nor gets a new account"


def test_a_person_outside_the_organisation_is_refused(client, server, app):
    server.add("wecom", "outsider", "访客")
    server.signed_in["wecom"] = "outsider"
    original = server._wecom

    def as_openid(method, path, query, body, headers):
        answer = original(method, path, query, body, headers)
        if path == "/cgi-bin/auth/getuserinfo":  # 企业微信 answers an outsider with an openid
            return {"errcode": 0, "errmsg": "ok", "openid": "oAbc", "external_userid": ""}
        return answer

    server._wecom = as_openid
    assert round_trip(client, "/login/wecom").status_code == 502


def test_an_answer_without_what_it_should_hold_is_a_failed_sign_in(client, make_user, server):
    linked(make_user, server, "dingtalk")
    original = server._dingtalk

    def without_union_id(method, path, query, body, headers):
        answer = original(method, path, query, body, headers)
        return {"nick": answer["nick"]} if path == "/v1.0/contact/users/me" else answer

    server._dingtalk = without_union_id
    assert round_trip(client, "/login/dingtalk").status_code == 502
    assert client.get("/inbox").status_code == 302


def test_declining_in_the_app_comes_back_without_a_code(client, server):
    server.signed_in["wecom"] = None  # turned down, or nobody signed in to the app
    page = round_trip(client, "/login/wecom")
    assert page.status_code == 400 and "未完成" in page.text


def csrf_token(client) -> str:
    """The token a page carries for the links and forms on it."""
    page = client.get("/inbox").text
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


@pytest.mark.parametrize("service", APPS)
def test_a_signed_in_user_links_the_app_and_signs_in_with_it_afterwards(
    client, make_user, server, service
):
    user = make_user(Role.INSPECTOR, display_name="李四")
    server.add(service, SUBJECTS[service], "李四")
    server.signed_in[service] = SUBJECTS[service]
    assert client.get(f"/account/identities/{service}").status_code == 302  # to the login
    assert server.used_codes == []

    login(client, user)
    start = f"/account/identities/{service}?csrf_token={csrf_token(client)}"
    back = round_trip(client, start)
    assert back.status_code == 302 and back.location == "/account/identities"
    (identity,) = db.session.scalars(sa.select(ExternalIdentity)).all()
    assert (identity.user_id, identity.provider, identity.subject) == (
        user.id,
        Provider(service),
        SUBJECTS[service],
    )
    (event,) = events("identity_linked")
    assert event.object_id == user.id and event.actor_id == user.id

    client.post("/logout")
    assert round_trip(client, f"/login/{service}").status_code == 302
    assert client.get("/inbox").status_code == 200


def test_linking_needs_the_pages_csrf_token(client, make_user, server):
    login(client, make_user(Role.INSPECTOR))
    assert client.get("/account/identities/wecom").status_code == 400
    assert client.get("/account/identities/wecom?csrf_token=forged").status_code == 400


def test_an_identity_linked_to_someone_else_is_not_taken_over(client, make_user, server):
    owner = linked(make_user, server, "wecom")
    other = make_user(Role.INSPECTOR)
    login(client, other)
    start = f"/account/identities/wecom?csrf_token={csrf_token(client)}&next=/inbox"
    back = round_trip(client, start)
    assert back.location == "/inbox"
    assert "已绑定到其他账号" in client.get(back.location).text
    (identity,) = db.session.scalars(sa.select(ExternalIdentity)).all()
    assert identity.user_id == owner.id


def test_a_link_that_comes_back_to_another_account_links_nothing(client, make_user, server):
    first, second = make_user(Role.INSPECTOR), make_user(Role.INSPECTOR)
    server.add("feishu", SUBJECTS["feishu"], "李四")
    server.signed_in["feishu"] = SUBJECTS["feishu"]
    login(client, first)
    out = client.get(f"/account/identities/feishu?csrf_token={csrf_token(client)}")
    back = local(at_the_app(out.location))
    client.post("/logout")
    with client.session_transaction() as kept:  # the round trip outlives a change of account
        pending = dict(kept["app_sign_in"])
    login(client, second)
    with client.session_transaction() as session:
        session["app_sign_in"] = pending
    assert client.get(back).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ExternalIdentity.id))) == 0


@pytest.mark.parametrize("service", APPS)
def test_an_account_is_made_on_first_sign_in_for_the_chosen_department_only(
    client, server, service
):
    client.application.config.update(
        {f"{service.upper()}_AUTO_CREATE_DEPARTMENTS": "7, 2"},
        **{f"{service.upper()}_AUTO_CREATE_ROLE": "inspector"},
    )
    server.add(service, SUBJECTS[service], "王五", departments=["2", "9"])
    server.add(service, "elsewhere", "赵六", departments=["3"])

    server.signed_in[service] = "elsewhere"
    assert round_trip(client, f"/login/{service}").status_code == 403, "department 3: no account"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0

    server.signed_in[service] = SUBJECTS[service]
    assert round_trip(client, f"/login/{service}").status_code == 302
    (user,) = db.session.scalars(sa.select(User)).all()
    assert (user.role, user.display_name, user.active) == (Role.INSPECTOR, "王五", True)
    assert user.username.startswith(f"{service}-")
    (identity,) = db.session.scalars(sa.select(ExternalIdentity)).all()
    assert (identity.user_id, identity.subject) == (user.id, SUBJECTS[service])
    (made,) = events("account_created_on_sign_in")
    assert made.object_id == user.id and made.to_state == "inspector"
    assert made.detail == f"{Provider(service).label} 王五，部门 2"
    assert events("user_created") and events("identity_linked")

    client.post("/logout")
    assert round_trip(client, f"/login/{service}").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1, "made once"


@pytest.mark.parametrize(
    "settings",
    [
        {"WECOM_AUTO_CREATE_DEPARTMENTS": "2", "WECOM_AUTO_CREATE_ROLE": "manager"},
        {"DINGTALK_AUTO_CREATE_DEPARTMENTS": "2", "DINGTALK_AUTO_CREATE_ROLE": "admin"},
        {"FEISHU_AUTO_CREATE_DEPARTMENTS": "2", "FEISHU_AUTO_CREATE_ROLE": "Manager"},
        {"WECOM_AUTO_CREATE_DEPARTMENTS": "2"},
        {"WECOM_AUTO_CREATE_ROLE": "inspector"},
        {"FEISHU_AUTO_CREATE_DEPARTMENTS": "2", "FEISHU_AUTO_CREATE_ROLE": "contractor"},
        {
            "WECOM_AUTO_CREATE_DEPARTMENTS": "2",
            "WECOM_AUTO_CREATE_ROLE": "inspector",
            "WECOM_AUTO_CREATE_CONTRACTOR": "禾香餐饮",
        },
        {"WECOM_SECRET": ""},
        {"DINGTALK_CLIENT_ID": ""},
    ],
    ids=[
        "manager",
        "admin",
        "Manager",
        "no role",
        "no departments",
        "contractor of none",
        "inspector of a contractor",
        "WeCom half set",
        "DingTalk half set",
    ],
)
def test_the_app_will_not_start_with_settings_that_would_make_the_wrong_accounts(
    app_config, settings
):
    """Never a manager's or an administrator's account on first sign-in: the app refuses to
    start, as it does with an app half configured."""
    with pytest.raises(ValueError, match="XUNJIAN_"):
        create_app({**app_config, **settings})


def test_a_contractors_people_get_accounts_of_that_contractor(client, server, make_contractor):
    contractor = make_contractor(name="洁净物业服务有限公司")
    client.application.config.update(
        FEISHU_AUTO_CREATE_DEPARTMENTS="od-cleaning",
        FEISHU_AUTO_CREATE_ROLE="contractor",
        FEISHU_AUTO_CREATE_CONTRACTOR="洁净物业服务有限公司",
    )
    server.add("feishu", SUBJECTS["feishu"], "保洁班长", departments=["od-cleaning"])
    server.signed_in["feishu"] = SUBJECTS["feishu"]
    assert round_trip(client, "/login/feishu").status_code == 302
    (user,) = db.session.scalars(sa.select(User)).all()
    assert (user.role, user.contractor_id) == (Role.CONTRACTOR, contractor.id)


def test_no_account_is_made_for_a_contractor_that_is_not_active(client, server, make_contractor):
    make_contractor(name="已退场公司", active=False)
    client.application.config.update(
        FEISHU_AUTO_CREATE_DEPARTMENTS="od-cleaning",
        FEISHU_AUTO_CREATE_ROLE="contractor",
        FEISHU_AUTO_CREATE_CONTRACTOR="已退场公司",
    )
    server.add("feishu", SUBJECTS["feishu"], "保洁班长", departments=["od-cleaning"])
    server.signed_in["feishu"] = SUBJECTS["feishu"]
    assert round_trip(client, "/login/feishu").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_the_app_token_is_cached_refreshed_before_expiry_and_once_when_refused(server, app):
    wecom = app_client(Provider.WECOM)
    server.add("wecom", SUBJECTS["wecom"], "张三", departments=["2"])
    someone = Person(SUBJECTS["wecom"], SUBJECTS["wecom"])
    for _ in range(3):
        assert wecom.in_directory(someone).departments == ("2",)
    assert server.token_requests["wecom"] == 1, "one token for every call while it lasts"

    with time_machine.travel(utcnow(), tick=False) as clock:
        clock.shift(7200 - 200)  # within five minutes of its end: fetched anew beforehand
        wecom.in_directory(someone)
        assert server.token_requests["wecom"] == 2 and server.token_errors["wecom"] == 0

        server.token_lifetime = 60  # the service ends its tokens sooner than it says
        server.revoke_tokens("wecom")  # 40014, invalid
        assert wecom.in_directory(someone).name == "张三", "the refused token replaced"
        assert server.token_requests["wecom"] == 3 and server.token_errors["wecom"] == 1
        clock.shift(61)  # 42001, expired
        assert wecom.in_directory(someone).name == "张三"
        assert server.token_requests["wecom"] == 4 and server.token_errors["wecom"] == 2


@pytest.mark.parametrize("service", ["dingtalk", "feishu"])
def test_the_other_apps_refresh_a_refused_token_once(server, app, service):
    other = app_client(Provider(service))
    server.add(service, SUBJECTS[service], "张三", departments=["2"])
    someone = Person(SUBJECTS[service], "张三")
    other.in_directory(someone)
    server.revoke_tokens(service)
    assert other.in_directory(someone).departments == ("2",)
    assert server.token_requests[service] == 2 and server.token_errors[service] == 1


def test_a_token_refused_twice_is_an_error_not_a_loop(server, app):
    server.add("feishu", SUBJECTS["feishu"], "张三")
    original = server.check_app_token

    def refuse_all(service, token):
        server.revoke_tokens(service)
        original(service, token)

    server.check_app_token = refuse_all
    with pytest.raises(AppError, match="99991663"):
        app_client(Provider.FEISHU).in_directory(Person(SUBJECTS["feishu"], "张三"))
    assert server.token_requests["feishu"] == 2, "one new token, not more"


def test_a_new_secret_gets_a_new_token(app, server):
    server.add("wecom", "a", "甲")
    app_client(Provider.WECOM).in_directory(Person("a", "a"))
    app.config["WECOM_SECRET"] = "a-new-secret"
    with pytest.raises(AppError, match="40001"):
        app_client(Provider.WECOM).in_directory(Person("a", "a"))
    assert server.token_requests["wecom"] == 1, "the old one is not used with the new secret"


def test_an_app_never_sends_a_token_another_app_fetched(app_config, app, server):
    """Two apps in one process (a test suite's, one after another) reaching a service at the
    same address: the second fetches its own token rather than sending the first's, which
    that service (a new one on a reused port) never issued. A CI run failed on this."""
    server.add("wecom", "a", "甲")
    app_client(Provider.WECOM).in_directory(Person("a", "a"))
    server.revoke_tokens("wecom")  # what a new service on the same port would know of it
    with create_app(app_config).app_context():
        assert app_client(Provider.WECOM).in_directory(Person("a", "a")).name == "甲"
    assert server.token_requests["wecom"] == 2 and server.token_errors["wecom"] == 0


@pytest.mark.parametrize("service", APPS)
def test_an_invitation_is_accepted_with_the_app_and_used_up(client, server, service):
    invited = create_user("zhao.xuncha", "赵巡查", Role.INSPECTOR)
    token = invite(invited, None).rsplit("/", 1)[1]
    db.session.commit()
    assert f"/invite/{token}/{service}" in client.get(f"/invite/{token}").text
    server.add(service, SUBJECTS[service], "赵巡查")
    server.signed_in[service] = SUBJECTS[service]

    answer = round_trip(client, f"/invite/{token}/{service}")
    assert answer.status_code == 302 and answer.location == "/"
    assert "赵巡查" in client.get("/").text
    db.session.expire_all()
    assert [(i.provider, i.subject) for i in identities_of(invited)] == [
        (Provider(service), SUBJECTS[service])
    ]
    client.post("/logout")
    used = client.get(f"/invite/{token}/{service}")
    assert used.location == f"/invite/{token}", "the link was used once"
