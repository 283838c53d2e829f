"""What pages tell the phone's service worker and outbox: a page it may keep for use without a
network, and the session answer the outbox reads before it replays what was captured offline."""

from flask import jsonify, make_response
from flask_wtf.csrf import generate_csrf

OFFLINE_PAGE_HEADER = "X-Offline-Page"


def offline_page(response):
    """Mark a page the service worker may keep for use without a network."""
    response = make_response(response)
    response.headers[OFFLINE_PAGE_HEADER] = "1"
    return response


def outbox_session(user_id: int | None):
    """The answer the outbox reads before replaying: 401 when no one may send."""
    if user_id is None:
        return jsonify(error="login"), 401
    return session_answer(user_id)


def session_answer(user_id: int | None):
    response = jsonify(user=user_id, csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response
