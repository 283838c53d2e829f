"""飞书 (Feishu; Lark abroad, by its addresses): a custom app (企业自建应用) with its bot
enabled, by App ID and App Secret. A person is their open_id, which is the app's own: a new
app sees everyone under new ids, and they link again."""

import json
from urllib.parse import quote, urlencode

from app.identity.app_api import AppClient, Person, call
from app.identity.models import Provider


class Feishu(AppClient):
    provider = Provider.FEISHU
    required_settings = ("APP_ID", "APP_SECRET")
    user_agent_marks = ("lark/", "feishu")
    # tenant_access_token 缺失, 无效, 已过期
    invalid_token_codes = frozenset({99991661, 99991663, 99991677})
    rate_limited_codes = frozenset({99991400, 230020})  # 请求频率超限, 发送消息频率超限
    recipient_codes = frozenset({230013})  # 机器人对该用户不可用 (不在应用可用范围)
    official_api = "https://open.feishu.cn"
    LOGIN_PAGE = "https://accounts.feishu.cn"

    @property
    def app_id(self) -> str:
        return self.setting("APP_ID")

    @property
    def secret(self) -> str:
        return self.setting("APP_SECRET")

    def sign_in_url(self, state: str, redirect_uri: str, *, in_app: bool) -> str:
        # One page for both: inside 飞书 it goes straight back without asking.
        query = urlencode({"client_id": self.app_id, "redirect_uri": redirect_uri, "state": state})
        return f"{self.login_page(self.LOGIN_PAGE)}/open-apis/authen/v1/authorize?{query}"

    def fetch_token(self) -> tuple[str, int]:
        answer = self.checked(
            call(
                "POST",
                f"{self.api}/open-apis/auth/v3/tenant_access_token/internal",
                body={"app_id": self.app_id, "app_secret": self.secret},
            )
        )
        return answer["tenant_access_token"], int(answer["expire"])

    def _bearer(self, token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def person_from_code(self, code: str, redirect_uri: str) -> Person:
        grant = self.checked(
            call(
                "POST",
                f"{self.api}/open-apis/authen/v2/oauth/token",
                body={
                    "grant_type": "authorization_code",
                    "client_id": self.app_id,
                    "client_secret": self.secret,
                    "code": code,
                    "redirect_uri": redirect_uri,
                },
            )
        )
        me = self.checked(
            call(
                "GET",
                f"{self.api}/open-apis/authen/v1/user_info",
                headers=self._bearer(grant["access_token"]),
            )
        )["data"]
        return Person(subject=me["open_id"], name=me.get("name") or me["open_id"])

    def in_directory(self, person: Person) -> Person:
        answer = self.with_token(
            lambda token: call(
                "GET",
                f"{self.api}/open-apis/contact/v3/users/{quote(person.subject, safe='')}",
                query={"user_id_type": "open_id", "department_id_type": "department_id"},
                headers=self._bearer(token),
            )
        )
        user = answer["data"]["user"]
        departments = tuple(str(d) for d in user.get("department_ids") or ())
        return Person(person.subject, user.get("name") or person.name, departments)

    def send_text(self, subject: str, text: str) -> None:
        self.with_token(
            lambda token: call(
                "POST",
                f"{self.api}/open-apis/im/v1/messages",
                query={"receive_id_type": "open_id"},
                headers=self._bearer(token),
                body={
                    "receive_id": subject,
                    "msg_type": "text",
                    "content": json.dumps({"text": text}, ensure_ascii=False),
                },
            )
        )
