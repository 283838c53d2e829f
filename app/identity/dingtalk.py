"""钉钉 (DingTalk): an internal app (企业内部应用) of the organisation, by its Client ID
(AppKey) and Client Secret (AppSecret); its AgentId sends work notices. A person is their
unionId, which sign-in gives; a work notice needs their userId in the organisation, looked up
by unionId once and kept in this process."""

import threading
from urllib.parse import urlencode

from app.identity.app_api import AppClient, Person, call
from app.identity.models import Provider

_USER_IDS: dict[tuple, str] = {}  # (api, client id, unionId) -> userId: they never change
_USER_IDS_LOCK = threading.Lock()


class DingTalk(AppClient):
    provider = Provider.DINGTALK
    required_settings = ("CLIENT_ID", "CLIENT_SECRET")
    user_agent_marks = ("dingtalk",)
    invalid_token_codes = frozenset({40014, 42001})  # 不合法的access_token, access_token超时
    # 服务器限流; 企业调用频率超限; 工作通知发送人次每分钟超限 (单应用, 企业)
    rate_limited_codes = frozenset({90002, 90018, 143103, 143104})
    recipient_codes = frozenset({33012, 60121})  # 无效的USERID, 找不到该用户
    official_api = "https://api.dingtalk.com"
    OFFICIAL_OAPI = "https://oapi.dingtalk.com"  # the older API: tokens, directory, notices
    LOGIN_PAGE = "https://login.dingtalk.com"

    @property
    def app_id(self) -> str:
        return self.setting("CLIENT_ID")

    @property
    def secret(self) -> str:
        return self.setting("CLIENT_SECRET")

    @property
    def agent_id(self) -> str:
        return self.setting("AGENT_ID")

    @property
    def oapi(self) -> str:
        return (self.setting("API_BASE") or self.OFFICIAL_OAPI).rstrip("/")

    @property
    def can_message(self) -> bool:
        return self.can_sign_in and bool(self.agent_id)

    def sign_in_url(self, state: str, redirect_uri: str, *, in_app: bool) -> str:
        # One page for both: inside 钉钉 it knows who is signed in and asks only to agree.
        query = urlencode(
            {
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "client_id": self.app_id,
                "scope": "openid",
                "state": state,
                "prompt": "consent",
            }
        )
        return f"{self.login_page(self.LOGIN_PAGE)}/oauth2/auth?{query}"

    def fetch_token(self) -> tuple[str, int]:
        answer = self.checked(
            call(
                "GET",
                f"{self.oapi}/gettoken",
                query={"appkey": self.app_id, "appsecret": self.secret},
            )
        )
        return answer["access_token"], int(answer["expires_in"])

    def person_from_code(self, code: str, redirect_uri: str) -> Person:
        grant = self.checked(
            call(
                "POST",
                f"{self.api}/v1.0/oauth2/userAccessToken",
                body={
                    "clientId": self.app_id,
                    "clientSecret": self.secret,
                    "code": code,
                    "grantType": "authorization_code",
                },
            )
        )
        me = self.checked(
            call(
                "GET",
                f"{self.api}/v1.0/contact/users/me",
                headers={"x-acs-dingtalk-access-token": grant["accessToken"]},
            )
        )
        return Person(subject=me["unionId"], name=me.get("nick") or me["unionId"])

    def user_id(self, union_id: str) -> str:
        """The person's userId in the organisation (what work notices are addressed to)."""
        key = (self.oapi, self.app_id, union_id)
        with _USER_IDS_LOCK:
            if key in _USER_IDS:
                return _USER_IDS[key]
        answer = self.with_token(
            lambda token: call(
                "POST",
                f"{self.oapi}/topapi/user/getbyunionid",
                query={"access_token": token},
                body={"unionid": union_id},
            )
        )
        with _USER_IDS_LOCK:
            _USER_IDS[key] = answer["result"]["userid"]
        return _USER_IDS[key]

    def in_directory(self, person: Person) -> Person:
        user_id = self.user_id(person.subject)
        answer = self.with_token(
            lambda token: call(
                "POST",
                f"{self.oapi}/topapi/v2/user/get",
                query={"access_token": token},
                body={"userid": user_id},
            )
        )
        result = answer["result"]
        departments = tuple(str(d) for d in result.get("dept_id_list") or ())
        return Person(person.subject, result.get("name") or person.name, departments)

    def send_text(self, subject: str, text: str) -> None:
        user_id = self.user_id(subject)
        self.with_token(
            lambda token: call(
                "POST",
                f"{self.oapi}/topapi/message/corpconversation/asyncsend_v2",
                query={"access_token": token},
                body={
                    "agent_id": int(self.agent_id),
                    "userid_list": user_id,
                    "msg": {"msgtype": "text", "text": {"content": text}},
                },
            )
        )
