"""企业微信 (WeCom): a self-built app (自建应用) of the organisation, by corp id, agent id and
the app's secret. A person is their UserId (成员账号)."""

from urllib.parse import urlencode

from app.identity.app_api import AppClient, AppError, Person, call
from app.identity.models import Provider


class WeCom(AppClient):
    provider = Provider.WECOM
    required_settings = ("CORP_ID", "AGENT_ID", "SECRET")
    user_agent_marks = ("wxwork/",)
    invalid_token_codes = frozenset({40014, 42001})  # 不合法的access_token, access_token已过期
    rate_limited_codes = frozenset({45009, 45033})  # 接口调用超过限制, 接口并发调用超过限制
    # 无效的UserID; 成员不在应用可见范围或不存在 (81013: every recipient invalid)
    recipient_codes = frozenset({40003, 60111, 81013})
    official_api = "https://qyapi.weixin.qq.com"
    QR_PAGE = "https://login.work.weixin.qq.com"
    IN_APP_PAGE = "https://open.weixin.qq.com"

    @property
    def app_id(self) -> str:
        return self.setting("CORP_ID")

    @property
    def secret(self) -> str:
        return self.setting("SECRET")

    @property
    def agent_id(self) -> str:
        return self.setting("AGENT_ID")

    def sign_in_url(self, state: str, redirect_uri: str, *, in_app: bool) -> str:
        if in_app:  # silent (snsapi_base): the app hands over who is using it
            query = urlencode(
                {
                    "appid": self.app_id,
                    "redirect_uri": redirect_uri,
                    "response_type": "code",
                    "scope": "snsapi_base",
                    "state": state,
                    "agentid": self.agent_id,
                }
            )
            page = f"{self.login_page(self.IN_APP_PAGE)}/connect/oauth2/authorize"
            return f"{page}?{query}#wechat_redirect"
        query = urlencode(
            {
                "login_type": "CorpApp",
                "appid": self.app_id,
                "agentid": self.agent_id,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.login_page(self.QR_PAGE)}/wwlogin/sso/login?{query}"

    def fetch_token(self) -> tuple[str, int]:
        answer = self.checked(
            call(
                "GET",
                f"{self.api}/cgi-bin/gettoken",
                query={"corpid": self.app_id, "corpsecret": self.secret},
            )
        )
        return answer["access_token"], int(answer["expires_in"])

    def person_from_code(self, code: str, redirect_uri: str) -> Person:
        answer = self.with_token(
            lambda token: call(
                "GET",
                f"{self.api}/cgi-bin/auth/getuserinfo",
                query={"access_token": token, "code": code},
            )
        )
        userid = answer.get("userid") or answer.get("UserId")
        if not userid:  # an openid: someone from outside the organisation
            raise AppError("not-a-member", "not a member of the organisation")
        return Person(subject=userid, name=userid)

    def in_directory(self, person: Person) -> Person:
        answer = self.with_token(
            lambda token: call(
                "GET",
                f"{self.api}/cgi-bin/user/get",
                query={"access_token": token, "userid": person.subject},
            )
        )
        departments = tuple(str(d) for d in answer.get("department") or ())
        return Person(person.subject, answer.get("name") or person.name, departments)

    def send_text(self, subject: str, text: str) -> None:
        self.with_token(
            lambda token: call(
                "POST",
                f"{self.api}/cgi-bin/message/send",
                query={"access_token": token},
                body={
                    "touser": subject,
                    "msgtype": "text",
                    "agentid": int(self.agent_id),
                    "text": {"content": text},
                },
            )
        )
