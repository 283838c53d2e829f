"""A local HTTP server speaking 企业微信, 钉钉 and 飞书 as the bureau's own apps: their login
pages (the QR-code page and the in-app OAuth page, which send the browser straight back with a
one-time code for whoever `signed_in` names), the server-side code exchange, the directory,
app access tokens and messages to one person. The real parts the identity and notification
tests talk to.

Each answers in its service's own way: 企业微信 and 钉钉's older API with HTTP 200 and an
`errcode`, 钉钉's newer API with HTTP 4xx and a string `code`, 飞书 with a `code` (HTTP 400
when it is an error). A code works once and for five minutes; an app access token lives
`token_lifetime` seconds by the clock (which tests may move) or until `revoke_tokens`; a
message may be answered with the service's rate-limit code or a passing failure."""

import json
import secrets
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APPS = ("wecom", "dingtalk", "feishu")
CODE_SECONDS = 300
CREDENTIALS = {
    "wecom": {"id": "ww7e57c0de", "secret": "wecom-app-secret", "agent": "1000002"},
    "dingtalk": {"id": "dingxunjiantest", "secret": "dingtalk-app-secret", "agent": "3141592"},
    "feishu": {"id": "cli_a1b2c3d4", "secret": "feishu-app-secret"},
}
# how each service says "invalid token", "token expired", "slow down", "busy just now"
INVALID_TOKEN = {"wecom": 40014, "dingtalk": 40014, "feishu": 99991663}
EXPIRED_TOKEN = {"wecom": 42001, "dingtalk": 42001, "feishu": 99991677}
RATE_LIMITED = {"wecom": 45009, "dingtalk": 143103, "feishu": 99991400}
BUSY = {"wecom": -1, "dingtalk": -1, "feishu": 1500}


@dataclass
class Member:
    """Someone in the organisation's directory. `subject` is what sign-in gives (企业微信
    UserId, 钉钉 unionId, 飞书 open_id); 钉钉 also has a `userid` within the organisation.
    Outside the app's visible range, messages to them are refused."""

    subject: str
    name: str
    departments: list = field(default_factory=list)
    userid: str = ""
    visible: bool = True


class ServiceError(Exception):
    def __init__(self, app: str, code, message: str = "error", status: int = 200):
        self.app, self.code, self.message, self.status = app, code, message, status

    def body(self) -> dict:
        """The error as the service words it."""
        if self.app == "feishu":
            return {"code": self.code, "msg": self.message}
        if isinstance(self.code, str) and self.app == "dingtalk":  # its newer API
            return {"code": self.code, "message": self.message, "requestid": "r1"}
        return {"errcode": self.code, "errmsg": self.message}


class AppServer:
    def __init__(self, token_lifetime: int = 7200):
        self.token_lifetime = token_lifetime
        self.members: dict[str, dict[str, Member]] = {app: {} for app in APPS}
        self.signed_in: dict[str, str | None] = dict.fromkeys(APPS)  # who the app says it is
        self.trusted_hosts: set[str] = set()  # 可信域名: the callback's host must be one
        self.token_requests = Counter()
        self.token_errors = Counter()  # answers that called a token invalid or expired
        self.lookups = Counter()  # (app, what) -> calls
        self.received: list[tuple[str, str, str]] = []  # (app, recipient, text)
        self.rate_limit_next = Counter()  # app -> messages still to answer "slow down"
        self.busy_next = Counter()  # app -> messages still to answer "busy, try again"
        self.used_codes: list[str] = []
        self._codes: dict[str, dict] = {}
        self._app_tokens: dict[str, dict[str, float]] = {app: {} for app in APPS}
        self._user_tokens: dict[str, tuple[str, str]] = {}  # token -> (app, subject)
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def settings(self, *apps: str) -> dict:
        """The app's settings for these apps (all three by default), on this server."""
        settings = {}
        for app in apps or APPS:
            prefix, given = app.upper(), CREDENTIALS[app]
            names = {
                "wecom": ("CORP_ID", "SECRET", "AGENT_ID"),
                "dingtalk": ("CLIENT_ID", "CLIENT_SECRET", "AGENT_ID"),
                "feishu": ("APP_ID", "APP_SECRET", None),
            }[app]
            values = (given["id"], given["secret"], given.get("agent"))
            for name, value in zip(names, values, strict=True):
                if name:
                    settings[f"{prefix}_{name}"] = value
            settings[f"{prefix}_API_BASE"] = settings[f"{prefix}_LOGIN_BASE"] = self.url
        return settings

    def add(self, app: str, subject: str, name: str, departments=(), **more) -> Member:
        member = Member(subject, name, list(departments), **more)
        if app == "dingtalk" and not member.userid:
            member.userid = f"user-{subject}"
        with self._lock:
            self.members[app][subject] = member
        return member

    def texts(self, app: str, recipient: str) -> list[str]:
        with self._lock:
            return [text for a, r, text in self.received if a == app and r == recipient]

    def revoke_tokens(self, app: str) -> None:
        """The service forgets its app tokens (a new secret, a restart on their side)."""
        with self._lock:
            self._app_tokens[app].clear()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    # --- the login pages ---------------------------------------------------------------

    def login_page(self, app: str, query: dict) -> str:
        """Where the app's login page sends the browser: back, with a code if someone is
        signed in to the app (and agrees), with only the state if not."""
        given_id = query.get("appid") or query.get("client_id")
        if given_id != CREDENTIALS[app]["id"]:
            raise ServiceError(app, "invalid appid", status=400)
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        host = urllib.parse.urlsplit(redirect_uri).hostname
        if self.trusted_hosts and host not in self.trusted_hosts:
            raise ServiceError(app, "redirect_uri is not a trusted domain", status=400)
        subject = self.signed_in[app]
        answer = {"state": state}
        if subject is not None:
            code = secrets.token_urlsafe(16)
            with self._lock:
                self._codes[code] = {
                    "app": app,
                    "subject": subject,
                    "redirect_uri": redirect_uri,
                    "at": time.time(),
                }
            answer["authCode" if app == "dingtalk" else "code"] = code
        joiner = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{joiner}{urllib.parse.urlencode(answer)}"

    def take_code(self, app: str, code: str, redirect_uri: str | None = None) -> str:
        """The subject a code was issued for; a code works once, for five minutes."""
        with self._lock:
            grant = self._codes.pop(code, None)
            self.used_codes.append(code)
        if (
            grant is None
            or grant["app"] != app
            or time.time() - grant["at"] > CODE_SECONDS
            or (redirect_uri is not None and redirect_uri != grant["redirect_uri"])
        ):
            raise {
                "wecom": ServiceError(app, 40029, "invalid code"),
                "dingtalk": ServiceError(app, "invalidAuthCode", "authCode is invalid", 400),
                "feishu": ServiceError(app, 20003, "invalid_grant", 400),
            }[app]
        return grant["subject"]

    # --- tokens --------------------------------------------------------------------------

    def issue_app_token(self, app: str, given_id: str, given_secret: str) -> str:
        if (given_id, given_secret) != (CREDENTIALS[app]["id"], CREDENTIALS[app]["secret"]):
            raise ServiceError(app, 40001 if app != "feishu" else 10014, "invalid secret")
        token = f"{app}-token-{secrets.token_hex(6)}"
        with self._lock:
            self.token_requests[app] += 1
            self._app_tokens[app][token] = time.time() + self.token_lifetime
        return token

    def check_app_token(self, app: str, token: str) -> None:
        with self._lock:
            expires_at = self._app_tokens[app].get(token)
            if expires_at is not None and time.time() < expires_at:
                return
            self.token_errors[app] += 1
        status = 400 if app == "feishu" else 200
        if expires_at is None:
            raise ServiceError(app, INVALID_TOKEN[app], "invalid access_token", status)
        raise ServiceError(app, EXPIRED_TOKEN[app], "access_token expired", status)

    def member(self, app: str, subject: str) -> Member:
        with self._lock:
            member = self.members[app].get(subject)
        if member is None:
            raise ServiceError(app, {"wecom": 60111, "dingtalk": 60121, "feishu": 41050}[app])
        return member

    def _message(self, app: str, recipient: str, text: str) -> None:
        with self._lock:
            if self.rate_limit_next[app]:
                self.rate_limit_next[app] -= 1
                status = 429 if app == "feishu" else 200
                raise ServiceError(app, RATE_LIMITED[app], "frequency limit", status)
            if self.busy_next[app]:
                self.busy_next[app] -= 1
                raise ServiceError(app, BUSY[app], "system busy", 500 if app == "feishu" else 200)
            self.received.append((app, recipient, text))

    # --- the three APIs ------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict, body: dict, headers) -> tuple:
        """(status, JSON object) or (status, redirect location) for a request."""
        for prefix, app in (("/cgi-bin/", "wecom"), ("/open-apis/", "feishu")):
            if path.startswith(prefix) and not path.endswith("/authorize"):
                return 200, getattr(self, f"_{app}")(method, path, query, body, headers)
        if path in ("/gettoken",) or path.startswith(("/v1.0/", "/topapi/")):
            return 200, self._dingtalk(method, path, query, body, headers)
        pages = {
            "/connect/oauth2/authorize": "wecom",
            "/wwlogin/sso/login": "wecom",
            "/oauth2/auth": "dingtalk",
            "/open-apis/authen/v1/authorize": "feishu",
        }
        if path in pages:
            return 302, self.login_page(pages[path], query)
        raise ServiceError("wecom", "no such path", status=404)

    def _wecom(self, method, path, query, body, headers) -> dict:
        if path == "/cgi-bin/gettoken":
            token = self.issue_app_token("wecom", query.get("corpid"), query.get("corpsecret"))
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        self.check_app_token("wecom", query.get("access_token", ""))
        if path == "/cgi-bin/auth/getuserinfo":
            return {"errcode": 0, "errmsg": "ok", "userid": self.take_code("wecom", query["code"])}
        if path == "/cgi-bin/user/get":
            self.lookups["wecom", "user"] += 1
            member = self.member("wecom", query["userid"])
            return {
                "errcode": 0,
                "userid": member.subject,
                "name": member.name,
                "department": [int(d) for d in member.departments],
            }
        if path == "/cgi-bin/message/send":
            assert body["agentid"] == int(CREDENTIALS["wecom"]["agent"])
            member = self.members["wecom"].get(body["touser"])
            if member is None or not member.visible:  # every recipient invalid
                return {
                    "errcode": 81013,
                    "errmsg": "user & party & tag all invalid",
                    "invaliduser": body["touser"].lower(),
                }
            self._message("wecom", member.subject, body["text"]["content"])
            return {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "m1"}
        raise ServiceError("wecom", "no such path", status=404)

    def _dingtalk(self, method, path, query, body, headers) -> dict:
        if path == "/gettoken":
            token = self.issue_app_token("dingtalk", query.get("appkey"), query.get("appsecret"))
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        if path == "/v1.0/oauth2/userAccessToken":
            ours = (CREDENTIALS["dingtalk"]["id"], CREDENTIALS["dingtalk"]["secret"])
            if (body.get("clientId"), body.get("clientSecret")) != ours:
                raise ServiceError("dingtalk", "invalidClientId", "bad client", 400)
            subject = self.take_code("dingtalk", body.get("code", ""))
            token = f"user-{secrets.token_hex(6)}"
            with self._lock:
                self._user_tokens[token] = ("dingtalk", subject)
            return {"accessToken": token, "refreshToken": "r", "expireIn": 7200}
        if path == "/v1.0/contact/users/me":
            grant = self._user_tokens.get(headers.get("x-acs-dingtalk-access-token", ""))
            if grant is None:
                raise ServiceError("dingtalk", "InvalidAuthentication", "bad token", 401)
            member = self.member("dingtalk", grant[1])
            return {"nick": member.name, "unionId": member.subject, "openId": "o1"}
        self.check_app_token("dingtalk", query.get("access_token", ""))
        if path == "/topapi/user/getbyunionid":
            self.lookups["dingtalk", "getbyunionid"] += 1
            member = self.member("dingtalk", body["unionid"])
            return {"errcode": 0, "result": {"contact_type": 0, "userid": member.userid}}
        if path == "/topapi/v2/user/get":
            member = next(
                (m for m in self.members["dingtalk"].values() if m.userid == body["userid"]), None
            )
            if member is None:
                raise ServiceError("dingtalk", 60121, "找不到该用户")
            return {
                "errcode": 0,
                "result": {
                    "userid": member.userid,
                    "name": member.name,
                    "unionid": member.subject,
                    "dept_id_list": [int(d) for d in member.departments],
                },
            }
        if path == "/topapi/message/corpconversation/asyncsend_v2":
            assert body["agent_id"] == int(CREDENTIALS["dingtalk"]["agent"])
            member = next(
                (m for m in self.members["dingtalk"].values() if m.userid == body["userid_list"]),
                None,
            )
            if member is not None and member.visible:  # others: accepted, never delivered
                self._message("dingtalk", member.userid, body["msg"]["text"]["content"])
            return {"errcode": 0, "task_id": 1, "request_id": "r1"}
        raise ServiceError("dingtalk", "no such path", status=404)

    def _feishu(self, method, path, query, body, headers) -> dict:
        if path == "/open-apis/auth/v3/tenant_access_token/internal":
            token = self.issue_app_token("feishu", body.get("app_id"), body.get("app_secret"))
            return {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": 7200}
        if path == "/open-apis/authen/v2/oauth/token":
            ours = (CREDENTIALS["feishu"]["id"], CREDENTIALS["feishu"]["secret"])
            if (body.get("client_id"), body.get("client_secret")) != ours:
                raise ServiceError("feishu", 20002, "invalid_client", 400)
            subject = self.take_code("feishu", body.get("code", ""), body.get("redirect_uri"))
            token = f"u-{secrets.token_hex(6)}"
            with self._lock:
                self._user_tokens[token] = ("feishu", subject)
            return {"code": 0, "access_token": token, "expires_in": 7200, "token_type": "Bearer"}
        bearer = headers.get("Authorization", "").removeprefix("Bearer ")
        if path == "/open-apis/authen/v1/user_info":
            grant = self._user_tokens.get(bearer)
            if grant is None:
                raise ServiceError("feishu", 99991668, "invalid user access token", 400)
            member = self.member("feishu", grant[1])
            return {
                "code": 0,
                "msg": "success",
                "data": {"name": member.name, "open_id": member.subject},
            }
        self.check_app_token("feishu", bearer)
        if path.startswith("/open-apis/contact/v3/users/"):
            assert query["user_id_type"] == "open_id"
            member = self.member("feishu", urllib.parse.unquote(path.rsplit("/", 1)[1]))
            return {
                "code": 0,
                "data": {
                    "user": {
                        "open_id": member.subject,
                        "name": member.name,
                        "department_ids": member.departments,
                    }
                },
            }
        if path == "/open-apis/im/v1/messages":
            assert query["receive_id_type"] == "open_id" and body["msg_type"] == "text"
            member = self.members["feishu"].get(body["receive_id"])
            if member is None or not member.visible:
                raise ServiceError("feishu", 230013, "Bot has NO availability to this user", 400)
            self._message("feishu", member.subject, json.loads(body["content"])["text"])
            return {"code": 0, "msg": "success", "data": {"message_id": "om_1"}}
        raise ServiceError("feishu", "no such path", status=404)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one(self, method: str):
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else {}
                try:
                    status, answer = server.answer(method, parts.path, query, body, self.headers)
                except ServiceError as error:
                    status, answer = error.status, error.body()
                if status == 302:
                    self.send_response(302)
                    self.send_header("Location", answer)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                payload = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self.handle_one("GET")

            def do_POST(self):
                self.handle_one("POST")

            def log_message(self, *args):
                pass

        return Handler
