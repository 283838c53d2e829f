"""A draft's checklist, rendered once and kept until the inspection changes.

The checklist is the page an inspector opens all day (issue 35), and most of what it costs is
loading the items, their photos and answers' history and rendering a card for each. All of
that is the inspection's own, and the database raises the inspection's revision at every
change to it (revisions.py). So each worker keeps the rendered cards by revision, for the one
viewer they were rendered for: their session (the cards' forms carry its CSRF token), their
account and role (a contractor never sees what its photos were marked for), language and time
zone, the guest link the forms post under, and whether they may record.

What a card names that the inspection does not own (a place's, a contractor's or a person's
name, the evidence rules) is at most KEPT_SECONDS old.
"""

import threading
import time

from cachetools import TTLCache
from flask import current_app, g, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

KEPT_SECONDS = 60
KEPT_CHECKLISTS = 256  # a worker's: the drafts open at once, times their viewers


class KeptChecklists:
    def __init__(self, timer=time.monotonic):
        self._kept = TTLCache(maxsize=KEPT_CHECKLISTS, ttl=KEPT_SECONDS, timer=timer)
        self._lock = threading.Lock()  # the development server and the tests' answer in threads

    def get(self, key) -> Markup | None:
        with self._lock:
            return self._kept.get(key)

    def keep(self, key, body: Markup) -> None:
        with self._lock:
            self._kept[key] = body


def kept_checklists() -> KeptChecklists:
    """This app's kept checklists (each app its own: the tests make many in one process)."""
    extensions = current_app.extensions
    if "kept_checklists" not in extensions:
        extensions.setdefault("kept_checklists", KeptChecklists())
    return extensions["kept_checklists"]


def _viewer() -> tuple:
    generate_csrf()  # the session's token exists before it is read: the cards carry it
    return (
        session.get(current_app.config["WTF_CSRF_FIELD_NAME"]),
        current_user.get_id(),
        getattr(current_user, "role", None),
        g.get("guest_token"),
        str(get_locale()),
        str(get_timezone()),
    )


def kept_or_rendered(inspection, can_record: bool, render) -> Markup:
    """The inspection's cards as this viewer last had them at this revision, else `render()`'s,
    kept for the next time."""
    key = (inspection.id, inspection.revision, can_record, *_viewer())
    kept = kept_checklists()
    body = kept.get(key)
    if body is None:
        body = render()
        kept.keep(key, body)
    return body
