"""Structured logs: one JSON line per request (and per error) on standard error, where
gunicorn and systemd's journal collect them. Secrets in links never reach the log: paths
are written with their secret parts replaced, and query strings are left out."""

import logging
import time
import uuid

import sqlalchemy as sa
from flask import Flask, g, request
from flask_login import current_user
from pythonjsonlogger.json import JsonFormatter

WORKER_LOG = "xunjian.worker"
REQUEST_LOG = "xunjian.request"
SECRET_ARGUMENTS = {"token", "slug"}  # guest links, complaint status, survey links


def configure_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    for name in (REQUEST_LOG, WORKER_LOG, app.logger.name):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False

    def log_exception(exc_info) -> None:
        """Flask's own message names the raw path; this one, the safe one."""
        app.logger.error(
            "unhandled exception",
            exc_info=exc_info,
            extra={
                "request_id": g.get("request_id"),
                "method": request.method,
                "path": loggable_path(),
            },
        )

    app.log_exception = log_exception

    @app.before_request
    def start_clock():
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex[:16]

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        logging.getLogger(REQUEST_LOG).info(
            "request",
            extra={
                "request_id": g.get("request_id"),
                "method": request.method,
                "path": loggable_path(),
                "endpoint": request.endpoint,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "bytes": response.content_length,
                "user": logged_user(),
                "address": request.remote_addr,
                "htmx": request.headers.get("HX-Request") == "true",
            },
        )
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        return response


def logged_user() -> str | None:
    """The signed-in user's id, read from the session's identity map: the request's commit
    has expired the user, and reading `current_user.id` would load the user again."""
    state = sa.inspect(current_user._get_current_object(), raiseerr=False)
    return str(state.identity[0]) if state is not None and state.identity else None


def loggable_path() -> str:
    """The request's path, with the secret parts of secret links replaced by their names."""
    if request.url_rule is None or not request.view_args:
        return request.path if request.url_rule is not None else "(no route)"
    path = request.url_rule.rule
    for name, value in request.view_args.items():
        shown = f"<{name}>" if name in SECRET_ARGUMENTS else str(value)
        path = path.replace(f"<{name}>", shown)
        for converter in ("int", "path", "string"):
            path = path.replace(f"<{converter}:{name}>", shown)
    return path
