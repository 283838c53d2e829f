"""Configuration: defaults, then instance/config.py, then XUNJIAN_* environment variables."""

import os
import secrets
from pathlib import Path


class Defaults:
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans": "中文", "en": "English"}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SECURE = False  # XUNJIAN_SESSION_COOKIE_SECURE=1 behind HTTPS
    PROXY_HOPS = 0  # reverse proxies in front whose X-Forwarded-* headers are believed
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a phone form left open over lunch must still submit
    # Where files are kept: empty for the folder UPLOAD_DIR, or s3://bucket/prefix (app/files.py)
    STORAGE_URL = ""
    S3_ENDPOINT = ""  # e.g. https://oss-cn-hangzhou.aliyuncs.com; empty for AWS itself
    S3_REGION = ""
    S3_ADDRESSING = "auto"  # "path" for most Ceph and MinIO setups, "virtual" for Alibaba OSS
    STORAGE_SIGNED_URLS = False  # redirect to a 5-minute link instead of streaming through us
    UPLOAD_LIMIT_MB = 16  # one request, and so any one photo or document in it
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_FAILURE_WINDOW_MINUTES = 15
    CERTIFICATE_WARNING_DAYS = 30
    PASSWORD_HASH_METHOD = "scrypt"
    PUBLIC_URL = "http://127.0.0.1:5000"  # the address links in e-mails and robot messages use
    SMTP_HOST = ""  # no host: no e-mail; the inbox and robots still work
    SMTP_PORT = 25
    SMTP_USER = ""
    SMTP_PASSWORD = ""
    SMTP_FROM = "xunjian@localhost"
    SMTP_STARTTLS = False
    SMTP_SSL = False
    ROBOT_HOSTS = ()  # besides the services' official hosts: e.g. an intranet gateway
    ROBOT_MESSAGES_PER_MINUTE = 20
    NOTIFY_GIVE_UP_HOURS = 24
    NOTIFY_LEASE_SECONDS = 120  # a worker killed mid-batch holds its messages this long
    WORKER_PAUSE_SECONDS = 5
    # Sign-in and personal messages through 企业微信, 钉钉 and 飞书 (app/identity/apps.py):
    # each is off until its id and secret are set. An empty address is the service's own.
    WECOM_CORP_ID = ""
    WECOM_AGENT_ID = ""
    WECOM_SECRET = ""
    DINGTALK_CLIENT_ID = ""
    DINGTALK_CLIENT_SECRET = ""
    DINGTALK_AGENT_ID = ""  # for work notices
    FEISHU_APP_ID = ""
    FEISHU_APP_SECRET = ""
    # pages and answers go compressed to browsers that take it (static files: WhiteNoise)
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_MIMETYPES = ["text/html", "application/json", "text/javascript"]
    COMPRESS_MIN_SIZE = 500
    # Sign-in with the bureau's own identity service (app/identity/oidc.py): off until all three
    # of issuer, client id and secret are set; the callback to register is /login/oidc/callback.
    OIDC_ISSUER = ""
    OIDC_CLIENT_ID = ""
    OIDC_CLIENT_SECRET = ""
    OIDC_NAME = ""  # the button's text, e.g. 市政务统一身份认证; empty: 统一身份认证
    OIDC_SCOPE = "openid profile"
    # Accounts made on first sign-in: only for a member of this group (a value of the claim
    # OIDC_GROUPS_CLAIM), with this role (inspector, or contractor of OIDC_AUTO_CREATE_CONTRACTOR,
    # a contractor's full name); never manager or admin. Off while the group is empty.
    OIDC_GROUPS_CLAIM = "groups"
    OIDC_AUTO_CREATE_GROUP = ""
    OIDC_AUTO_CREATE_ROLE = ""
    OIDC_AUTO_CREATE_CONTRACTOR = ""


ENV_PREFIX = "XUNJIAN_"
ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "UPLOAD_DIR": "UPLOAD_DIR",
    "STORAGE_URL": "STORAGE_URL",
    "S3_ENDPOINT": "S3_ENDPOINT",
    "S3_REGION": "S3_REGION",
    "S3_ADDRESSING": "S3_ADDRESSING",
    "STORAGE_SIGNED_URLS": "STORAGE_SIGNED_URLS",
    "SESSION_COOKIE_SECURE": "SESSION_COOKIE_SECURE",
    "PROXY_HOPS": "PROXY_HOPS",
    "UPLOAD_LIMIT_MB": "UPLOAD_LIMIT_MB",
    "PUBLIC_URL": "PUBLIC_URL",
    "SMTP_HOST": "SMTP_HOST",
    "SMTP_PORT": "SMTP_PORT",
    "SMTP_USER": "SMTP_USER",
    "SMTP_PASSWORD": "SMTP_PASSWORD",
    "SMTP_FROM": "SMTP_FROM",
    "SMTP_STARTTLS": "SMTP_STARTTLS",
    "SMTP_SSL": "SMTP_SSL",
    "ROBOT_HOSTS": "ROBOT_HOSTS",
    "ROBOT_MESSAGES_PER_MINUTE": "ROBOT_MESSAGES_PER_MINUTE",
    "NOTIFY_LEASE_SECONDS": "NOTIFY_LEASE_SECONDS",
    "WORKER_PAUSE_SECONDS": "WORKER_PAUSE_SECONDS",
    "OIDC_ISSUER": "OIDC_ISSUER",
    "OIDC_CLIENT_ID": "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "OIDC_NAME": "OIDC_NAME",
    "OIDC_SCOPE": "OIDC_SCOPE",
    "OIDC_GROUPS_CLAIM": "OIDC_GROUPS_CLAIM",
    "OIDC_AUTO_CREATE_GROUP": "OIDC_AUTO_CREATE_GROUP",
    "OIDC_AUTO_CREATE_ROLE": "OIDC_AUTO_CREATE_ROLE",
    "OIDC_AUTO_CREATE_CONTRACTOR": "OIDC_AUTO_CREATE_CONTRACTOR",
}
APP_PROVIDERS = ("WECOM", "DINGTALK", "FEISHU")
APP_KEYS = (
    "WECOM_CORP_ID",
    "WECOM_AGENT_ID",
    "WECOM_SECRET",
    "DINGTALK_CLIENT_ID",
    "DINGTALK_CLIENT_SECRET",
    "DINGTALK_AGENT_ID",
    "FEISHU_APP_ID",
    "FEISHU_APP_SECRET",
    # per provider: its API and login page addresses (a gateway, 政务微信, tests), and who may
    # get an account on first sign-in: departments (comma-separated ids), role, contractor
    *(
        f"{provider}_{setting}"
        for provider in APP_PROVIDERS
        for setting in (
            "API_BASE",
            "LOGIN_BASE",
            "AUTO_CREATE_DEPARTMENTS",
            "AUTO_CREATE_ROLE",
            "AUTO_CREATE_CONTRACTOR",
        )
    ),
)
ENV_KEYS.update({key: key for key in APP_KEYS})
INTEGER_KEYS = {
    "PROXY_HOPS",
    "UPLOAD_LIMIT_MB",
    "SMTP_PORT",
    "ROBOT_MESSAGES_PER_MINUTE",
    "NOTIFY_LEASE_SECONDS",
    "WORKER_PAUSE_SECONDS",
}
BOOLEAN_KEYS = {"SESSION_COOKIE_SECURE", "SMTP_STARTTLS", "SMTP_SSL", "STORAGE_SIGNED_URLS"}


def load_config(app, overrides=None):
    """Fill app.config from defaults, the instance file, the environment and overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for env_name, key in ENV_KEYS.items():
        value = os.environ.get(ENV_PREFIX + env_name)
        if value:
            app.config[key] = value == "1" if key in BOOLEAN_KEYS else value
    if overrides:
        app.config.update(overrides)
    for key in INTEGER_KEYS:
        app.config[key] = int(app.config[key])
    if isinstance(app.config["ROBOT_HOSTS"], str):
        hosts = app.config["ROBOT_HOSTS"].split(",")
        app.config["ROBOT_HOSTS"] = tuple(h.strip() for h in hosts if h.strip())
    app.config["MAX_CONTENT_LENGTH"] = app.config["UPLOAD_LIMIT_MB"] * 1024 * 1024
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'xunjian.db'}")
    app.config.setdefault("UPLOAD_DIR", str(instance / "photos"))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(instance / "secret_key")


def instance_secret_key(path: Path) -> str:
    """Read the instance's secret key, creating it once even when workers race."""
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # atomic: exactly one worker's key wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
