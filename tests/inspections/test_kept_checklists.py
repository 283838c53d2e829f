"""A draft's checklist is rendered once and kept until the inspection changes (its revision,
test_revisions.py), and a kept checklist is only ever served to the viewer it was rendered for."""

import io
import re
from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.catalog.models import Contractor
from app.core.evidence import EvidenceMark, MarkKind
from app.core.extensions import db
from app.core.timeutil import utcnow
from app.inspections.kept_checklists import KEPT_SECONDS, KeptChecklists
from app.inspections.models import (
    Answer,
    Inspection,
    InspectionPhoto,
)
from app.inspections.recording import attach_photo, store_answer
from app.inspections.starting import start_self_check
from tests.helpers import demo_draft_at_the_lobby, jpeg, login, tap
from tests.test_query_counts import client_of, counting, reads_of

TOKEN = re.compile(r"[\w-]{40,}\.[\w-]{4,}\.[\w-]{20,}")  # a signed CSRF token (Flask-WTF)


def same_page(client, draft) -> str:
    """The checklist as served, the same as when rendered anew (but for CSRF tokens, signed
    anew each time they are asked for)."""
    kept = client.get(f"/inspections/{draft.id}/run")
    client.application.extensions["kept_checklists"] = KeptChecklists()
    fresh = client.get(f"/inspections/{draft.id}/run")
    assert kept.status_code == fresh.status_code == 200
    assert TOKEN.sub("TOKEN", kept.text) == TOKEN.sub("TOKEN", fresh.text)
    return TOKEN.sub("TOKEN", kept.text)


def test_a_kept_checklist_is_the_checklist_rendered_anew_after_every_change(app):
    _, draft = demo_draft_at_the_lobby()
    client = client_of(app, "inspector")
    first, second = draft.items[:2]
    item_url = f"/inspections/{draft.id}/items/{first.id}"
    hx = {"HX-Request": "true"}

    def photo():
        return client.post(
            f"{item_url}/photos",
            data={"photo": (io.BytesIO(jpeg()), "p.jpg")},
            content_type="multipart/form-data",
            headers=hx,
        )

    def photo_removed():
        db.session.commit()  # the test's own snapshot ends: the photo was sent after it
        photo_id = db.session.scalar(
            sa.select(InspectionPhoto.id).where(InspectionPhoto.item_id == first.id)
        )
        return client.post(f"/inspections/photos/{photo_id}/delete", headers=hx)

    def older_tap():
        stale = (utcnow() - timedelta(hours=1)).timestamp() * 1000
        return client.post(
            f"{item_url}/answer", data={"answer": "pass", "answered_at_ms": stale}, headers=hx
        )

    def scanned():
        db.session.get(Inspection, draft.id).scanned_at = utcnow()
        db.session.commit()

    changes = [
        lambda: tap(client, first, "fail", 1),  # a first answer: no card comes back
        lambda: client.post(f"{item_url}/note", data={"note": "地面有水渍"}, headers=hx),
        photo,
        older_tap,  # kept in the history, the answer stands
        photo_removed,
        lambda: tap(client, second, "pass", 2),
        lambda: tap(client, second, "na", 3),  # a changed answer
        lambda: client.post(f"/inspections/{draft.id}/answers", data={str(first.id): "pass"}),
        scanned,
    ]
    before = same_page(client, draft)
    for n, change in enumerate(changes):
        response = change()
        assert response is None or response.status_code in (200, 302), n
        after = same_page(client, draft)
        assert after != before, f"change {n} shows"
        before = after


def test_an_unchanged_checklist_is_not_loaded_again(app):
    _, draft = demo_draft_at_the_lobby()
    client = client_of(app, "inspector")
    for _ in range(2):
        with counting() as seen:
            assert client.get(f"/inspections/{draft.id}/run").status_code == 200
    assert reads_of("inspection_items", seen) == reads_of("answer_records", seen) == 0
    assert reads_of("inspection_photos", seen) == 0


def test_a_contractor_is_never_served_what_a_supervisor_was(
    app, client, cast, make_site, make_check_point
):
    """A supervisor sees what a contractor's photos were marked for; the contractor, on the
    same phone, at the same revision, does not."""
    point = make_check_point(line_code="CLN", category="公共区域", title="大堂地面")
    lobby = make_site("大堂")
    cast.own.service_lines, cast.own.sites = [point.category.service_line], [lobby]
    db.session.commit()
    draft = start_self_check(cast.own, lobby, cast.owner)
    item = draft.items[0]
    store_answer(item.id, Answer.FAIL, cast.owner.id)
    photo = attach_photo(item, jpeg(), cast.owner)
    db.session.add(EvidenceMark(photo_kind="inspection", photo_id=photo.id, kind=MarkKind.REUSED))
    db.session.commit()
    mark = 'class="evidence-marks"'
    for user, sees in ((cast.manager, True), (cast.owner, False), (cast.manager, True)):
        login(client, user)
        page = client.get(f"/inspections/{draft.id}/run")
        assert page.status_code == 200
        assert (mark in page.text) is sees, user.role
        client.post("/logout")


def test_each_viewer_gets_their_own_sessions_forms(app):
    """Two inspectors on one check, one of them on two phones: each note, posted from the page
    served to that phone, is taken (the cards carry the session's CSRF token)."""
    _, draft = demo_draft_at_the_lobby()
    draft.inspectors.append(db.session.scalar(sa.select(User).where(User.username == "manager")))
    item = draft.items[0]
    store_answer(item.id, Answer.FAIL, draft.inspectors[0].id)
    db.session.commit()
    phones = [client_of(app, name) for name in ("inspector", "manager", "inspector")]
    app.config["WTF_CSRF_ENABLED"] = True
    pages = [phone.get(f"/inspections/{draft.id}/run").text for phone in phones]
    for n, (phone, page) in enumerate(zip(phones, pages, strict=True)):
        form = page[page.index(f"/items/{item.id}/note") :]
        sent = phone.post(
            f"/inspections/{draft.id}/items/{item.id}/note",
            data={"note": f"第{n}部手机", "csrf_token": TOKEN.search(form)[0]},
        )
        assert sent.status_code == 302, n


def test_a_name_the_inspection_does_not_own_is_at_most_a_minute_old(app):
    _, draft = demo_draft_at_the_lobby()
    now = [0.0]
    app.extensions["kept_checklists"] = KeptChecklists(timer=lambda: now[0])
    client = client_of(app, "inspector")
    run = f"/inspections/{draft.id}/run"
    assert "新简称" not in client.get(run).text
    db.session.get(Contractor, draft.contractors[0].id).short_name = "新简称"
    db.session.commit()
    assert "新简称" not in client.get(run).text
    now[0] += KEPT_SECONDS + 1
    assert "新简称" in client.get(run).text
