"""Sending one message: e-mail over SMTP, a group robot of 企业微信, 钉钉 or 飞书, or a message
to one person from the bureau's app in 企业微信, 钉钉 or 飞书 (app/identity).

The robots answer HTTP 200 with an error code in the body, so the body decides. Only the
services' official hosts, or hosts an administrator allows (XUNJIAN_ROBOT_HOSTS, for an
intranet gateway), are ever called. A webhook address is a secret: no error names it.
"""

import base64
import email.errors
import hashlib
import hmac
import json
import re
import smtplib
import ssl
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage

from flask import current_app

from app.identity import app_api
from app.identity.apps import client
from app.notify.models import PERSONAL_CHANNELS, Channel, Robot

OFFICIAL_HOSTS = {
    Channel.WECOM: {"qyapi.weixin.qq.com"},
    Channel.DINGTALK: {"oapi.dingtalk.com"},
    Channel.FEISHU: {"open.feishu.cn", "open.larksuite.com"},
}
# Codes with which a robot says "too many messages just now": wait, don't count it a failure.
RATE_LIMITED = {
    Channel.WECOM: {45009},
    Channel.DINGTALK: {130101, 410100},
    Channel.FEISHU: {9499, 11232},
}
# The robots that take an image message by webhook, and the largest image each takes (its bytes
# before base64). 钉钉's robot shows an image only from a public address, and a bulletin's is
# behind the sign-in; 飞书's only one uploaded first through an app (an image_key), which a
# webhook cannot do. Their groups have the link alone.
IMAGE_BYTES = {Channel.WECOM: 2 * 1024 * 1024}
TIMEOUT_SECONDS = 15
# 企业微信 takes at most 2,048 bytes of text; a sentence and a link fit in that for all three.
ROBOT_TEXT_BYTES = 2048
SUBJECT_CHARACTERS = 120
LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
# Embeddings, overrides and isolates: left open, they turn the rest of a line around.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
UNSAFE_CATEGORIES = {"Cc", "Cs"}  # control characters (NUL, escape...), unpaired surrogates


class SendFailed(Exception):
    """The message did not go; the text says why (never the webhook address)."""


class RateLimited(SendFailed):
    """The service asks us to slow down."""


class Unsendable(SendFailed):
    """This message cannot go as it is; others to the same place still can."""


def plain_text(text: str) -> str:
    """The text with "\n" for every kind of line break and nothing a mail server or a chat app
    could choke on: no control character but the tab, no unpaired surrogate, no direction
    override."""
    text = DIRECTION_CONTROLS.sub("", LINE_BREAKS.sub("\n", text))
    return "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in UNSAFE_CATEGORIES
    )


def subject_line(text: str) -> str:
    """The text's first line as one header line, shortened to SUBJECT_CHARACTERS."""
    line = plain_text(text).split("\n", 1)[0].replace("\t", " ").strip()
    if len(line) <= SUBJECT_CHARACTERS:
        return line
    return f"{line[: SUBJECT_CHARACTERS - 1].rstrip()}…"


def within_bytes(text: str, limit: int) -> str:
    """The text in at most `limit` bytes of UTF-8, shortened before its last line (the link),
    which is kept whole."""
    if len(text.encode()) <= limit:
        return text
    head, _, link = text.rpartition("\n")
    room = max(limit - len(f"…\n{link}".encode()), 0)
    return f"{head.encode()[:room].decode(errors='ignore').rstrip()}…\n{link}"


def send_email(address: str, text: str) -> None:
    config = current_app.config
    try:
        message = EmailMessage()
        message["From"] = config["SMTP_FROM"]
        message["To"] = address
        message["Subject"] = subject_line(text)
        message.set_content(plain_text(text))
    except (ValueError, email.errors.MessageError) as error:
        raise Unsendable(f"e-mail: {error}") from None
    try:
        if config["SMTP_SSL"]:
            smtp = smtplib.SMTP_SSL(
                config["SMTP_HOST"],
                config["SMTP_PORT"],
                timeout=TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=TIMEOUT_SECONDS)
        with smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise SendFailed(f"SMTP: {error}") from None


def robot_host_allowed(service: Channel, webhook: str) -> bool:
    parts = urllib.parse.urlsplit(webhook)
    allowed = set(current_app.config["ROBOT_HOSTS"])
    if parts.netloc in allowed or parts.hostname in allowed:
        return parts.scheme in ("http", "https")
    return parts.scheme == "https" and parts.hostname in OFFICIAL_HOSTS[service]


def send_robot(robot: Robot, text: str) -> None:
    text = within_bytes(plain_text(text), ROBOT_TEXT_BYTES)
    _post(robot, *_signed(robot, text, now=time.time()))


def send_robot_image(robot: Robot, image: bytes) -> None:
    """An image message to a robot whose service takes one by webhook (IMAGE_BYTES), no
    larger than it takes: for 企业微信, the PNG or JPEG itself in base64, with its MD5."""
    if len(image) > IMAGE_BYTES.get(robot.service, -1):
        raise Unsendable(f"{robot.service.value} robots take no image of {len(image)} bytes")
    encoded = base64.b64encode(image).decode()
    md5 = hashlib.md5(image, usedforsecurity=False).hexdigest()
    _post(robot, robot.webhook, {"msgtype": "image", "image": {"base64": encoded, "md5": md5}})


def _post(robot: Robot, url: str, body: dict) -> None:
    """Send the robot's service one message; its answer decides whether it went."""
    if not robot_host_allowed(robot.service, robot.webhook):
        raise SendFailed("host not allowed")
    try:
        request = urllib.request.Request(
            url,
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        if error.code == 429:
            raise RateLimited("HTTP 429") from None
        raise SendFailed(f"HTTP {error.code}") from None
    except (OSError, ValueError) as error:
        raise SendFailed(type(error).__name__) from None
    if not isinstance(answer, dict):
        raise SendFailed(f"the answer is no JSON object but a {type(answer).__name__}")
    code = answer.get("errcode", answer.get("code", answer.get("StatusCode", -1)))
    said = f"{code} {answer.get('errmsg', answer.get('msg', ''))}"
    if isinstance(code, int) and code in RATE_LIMITED[robot.service]:
        raise RateLimited(said)
    if code != 0:
        raise SendFailed(said)


def _signed(robot: Robot, text: str, now: float) -> tuple[str, dict]:
    """The address and body for the robot's service, signed where the service asks."""
    if robot.service == Channel.FEISHU:
        body = {"msg_type": "text", "content": {"text": text}}
        if robot.secret:
            timestamp = str(int(now))
            key = f"{timestamp}\n{robot.secret}".encode()
            sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            body.update(timestamp=timestamp, sign=sign)
        return robot.webhook, body
    body = {"msgtype": "text", "text": {"content": text}}
    if robot.service == Channel.DINGTALK and robot.secret:
        timestamp = str(int(now * 1000))
        digest = hmac.new(
            robot.secret.encode(), f"{timestamp}\n{robot.secret}".encode(), hashlib.sha256
        ).digest()
        sign = urllib.parse.quote_plus(base64.b64encode(digest))
        joiner = "&" if "?" in robot.webhook else "?"
        return f"{robot.webhook}{joiner}timestamp={timestamp}&sign={sign}", body
    return robot.webhook, body


def send_personal(channel: Channel, address: str, text: str) -> None:
    """The bureau's app (企业微信 app message, 钉钉 work notice, 飞书 bot message) to the
    person whose id in the app is `address`."""
    provider = next(p for p, c in PERSONAL_CHANNELS.items() if c == channel)
    app = client(provider)
    if not app.can_message:
        raise SendFailed(f"{provider.value} is not configured")
    try:
        app.send_text(address, within_bytes(plain_text(text), ROBOT_TEXT_BYTES))
    except app_api.RateLimited as error:
        raise RateLimited(str(error)) from None
    except app_api.RecipientRefused as error:
        raise Unsendable(str(error)) from None
    except app_api.AppError as error:
        raise SendFailed(str(error)) from None
