"""A local HTTP server speaking the group-robot APIs of 企业微信, 钉钉 and 飞书, and a local SMTP
server: the real parts the notification tests and the delivery benchmark send to.

Paths: /cgi-bin/webhook/send?key=K (WeCom), /robot/send?access_token=T (DingTalk, signed with
timestamp and sign in the query), /open-apis/bot/v2/hook/T (Feishu, signed in the body). Each
answers HTTP 200 with the service's own error codes: a bad signature, a robot told to fail, a
WeCom text longer than its 2,048 bytes, a WeCom image (base64 and its MD5) whose MD5 is wrong
or larger than 2 MB, and the rate-limit answer when a robot gets more than its pace in a
minute. A robot may be given a raw answer instead (a proxy's HTML page, say)."""

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

RATE_LIMIT_CODES = {"wecom": 45009, "dingtalk": 130101, "feishu": 11232}
WECOM_TEXT_BYTES = 2048
WECOM_TOO_LONG = 40058  # "text.content exceed max length"
WECOM_IMAGE_BYTES = 2 * 1024 * 1024
WECOM_BAD_IMAGE = 40009  # "invalid image size" (also this server's answer to a wrong MD5)


class RobotServer:
    def __init__(self, pace_per_minute: int = 20, delay: float = 0.0):
        self.pace = pace_per_minute
        self.delay = delay
        self.secrets: dict[str, str] = {}  # robot token -> signing secret
        self.failing: set[str] = set()  # tokens answered with an error code
        self.raw_answers: dict[str, tuple[str, bytes]] = {}  # token -> (content type, body)
        self.received: list[tuple[str, str, str]] = []  # (service, token, text)
        self.images: list[tuple[str, bytes]] = []  # (token, image) from WeCom image messages
        self.kinds: list[tuple[str, str]] = []  # (token, msgtype) of each accepted message
        self.refused: list[tuple[str, str, int]] = []
        self._times = defaultdict(list)  # the last minute's messages, per robot
        self.accepted_at = defaultdict(list)  # every accepted message's time, per robot
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_port}"

    def url(self, service: str, token: str) -> str:
        base = f"http://{self.host}"
        return {
            "wecom": f"{base}/cgi-bin/webhook/send?key={token}",
            "dingtalk": f"{base}/robot/send?access_token={token}",
            "feishu": f"{base}/open-apis/bot/v2/hook/{token}",
        }[service]

    def texts(self, token: str | None = None) -> list[str]:
        with self._lock:
            return [text for _s, t, text in self.received if token is None or t == token]

    def images_of(self, token: str) -> list[bytes]:
        with self._lock:
            return [image for t, image in self.images if t == token]

    def kinds_of(self, token: str) -> list[str]:
        with self._lock:
            return [kind for t, kind in self.kinds if t == token]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    def _answer(self, service: str, token: str, query: dict, body: dict) -> tuple[int, str]:
        """(code, text) as the service would judge the request; 0 is success."""
        if token in self.failing:
            return 310000 if service == "dingtalk" else 93000, ""
        secret = self.secrets.get(token)
        if service == "dingtalk" and secret:
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            digest = hmac.new(
                secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256
            ).digest()
            if sign != base64.b64encode(digest).decode():
                return 310000, ""
        if service == "feishu" and secret:
            key = f"{body.get('timestamp', '')}\n{secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body.get("sign") != expected:
                return 19021, ""
        image = None
        if service == "wecom" and body.get("msgtype") == "image":
            image = base64.b64decode(body["image"]["base64"], validate=True)
            md5 = hashlib.md5(image).hexdigest()
            if len(image) > WECOM_IMAGE_BYTES or md5 != body["image"]["md5"]:
                return WECOM_BAD_IMAGE, ""
            text = ""
        else:
            text = body["content"]["text"] if service == "feishu" else body["text"]["content"]
        if service == "wecom" and len(text.encode()) > WECOM_TEXT_BYTES:
            return WECOM_TOO_LONG, ""
        with self._lock:
            now = time.monotonic()
            recent = [t for t in self._times[token] if now - t < 60]
            if len(recent) >= self.pace:
                self._times[token] = recent
                return RATE_LIMIT_CODES[service], ""
            self._times[token] = [*recent, now]
            self.accepted_at[token].append(now)
            if image is None:
                self.received.append((service, token, text))
            else:
                self.images.append((token, image))
            self.kinds.append((token, "text" if image is None else "image"))
        return 0, text

    def _judged(self, service: str, token: str, query: dict, body: dict) -> bytes:
        """The service's JSON answer to the request."""
        code, _text = self._answer(service, token, query, body)
        if code:
            with self._lock:
                self.refused.append((service, token, code))
        answer = (
            {"code": code, "msg": "success" if not code else "error"}
            if service == "feishu"
            else {"errcode": code, "errmsg": "ok" if not code else "error"}
        )
        return json.dumps(answer).encode()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parts = urllib.parse.urlsplit(self.path)
                query = urllib.parse.parse_qs(parts.query)
                if parts.path == "/cgi-bin/webhook/send":
                    service, token = "wecom", query.get("key", [""])[0]
                elif parts.path == "/robot/send":
                    service, token = "dingtalk", query.get("access_token", [""])[0]
                elif parts.path.startswith("/open-apis/bot/v2/hook/"):
                    service, token = "feishu", parts.path.rsplit("/", 1)[1]
                else:
                    self.send_error(404)
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if server.delay:
                    time.sleep(server.delay)
                content_type, payload = server.raw_answers.get(token) or (
                    "application/json",
                    server._judged(service, token, query, body),
                )
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler


class MailBox:
    """A real SMTP server on a free local port; keeps every message it receives."""

    def __init__(self):
        self.messages = []
        self._lock = threading.Lock()
        box = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with box._lock:
                    box.messages.append((envelope.rcpt_tos, message))
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def received(self) -> list:
        with self._lock:
            return list(self.messages)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
