"""The phone's side of a checklist, shared by an inspector's routes and a guest link's:
the checklist page, and saving an answer, a note or photos, marking up or removing a photo,
submitting.

Each function takes the item (or inspection) and the user the route has already checked (an
answer takes the ids, and a way to load the item for when it needs it), does the change
through app/inspections/recording.py, and answers as the phone expects: the item's card for
htmx (or an empty 200 for a first answer it already shows), else a redirect.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from app.catalog.models import Severity
from app.core.extensions import db
from app.core.languages import once_per_language
from app.core.photos import send_photo
from app.core.refusals import Refused
from app.core.transactions import commit_keeping_loaded, writes_lock_the_database
from app.documents.versions import freeze
from app.inspections.access import can_record
from app.inspections.documents import CHECKLIST_SHOWN, grouped_items, report_document
from app.inspections.forms import SubmitForm
from app.inspections.kept_checklists import kept_or_rendered
from app.inspections.models import Answer, Inspection
from app.inspections.recording import (
    NotReady,
    attach_photo,
    mark_up_photo,
    progress,
    progress_of,
    record_answer,
    record_note,
    remove_photo,
    store_answer,
    submit,
    tap_target,
    tapped_item,
    unmarked_picture,
)
from app.inspections.urls import checklist_url
from app.web.originals import unmarked_originals
from app.web.replays import client_uuid


def checklist_page(inspection, *, can_record: bool, problems=None, form=None, **extra) -> str:
    """The checklist as the inspector, a contractor or a guest sees it while it is a draft;
    `problems` (item id: messages) after a submit that was not ready."""
    return render_template(
        "inspections/run.html",
        inspection=inspection,
        cards=checklist_cards(inspection, can_record=can_record, problems=problems),
        form=form or SubmitForm(),
        can_record=can_record,
        **extra,
    )


def checklist_cards(inspection, *, can_record: bool, problems=None) -> Markup:
    """What the checklist shows of the inspection (_checklist.html): kept until it changes
    (kept_checklists.py), but for a submit that was not ready, whose problems it marks."""

    def render():
        loaded = db.session.scalars(
            sa.select(Inspection)
            .where(Inspection.id == inspection.id)
            .options(*CHECKLIST_SHOWN)
            .execution_options(populate_existing=True)
        ).one()
        return Markup(
            render_template(
                "inspections/_checklist.html",
                inspection=loaded,
                groups=grouped_items(loaded.items),
                progress=progress(loaded),
                problems=problems or {},
                can_record=can_record,
                **card_words(),
            )
        )

    return render() if problems else kept_or_rendered(inspection, can_record, render)


def card_words() -> dict:
    """The words every card of the checklist repeats (_item.html), translated once per
    language while the app runs rather than for each page or card."""
    return once_per_language("card_words", _card_words)


def _card_words() -> dict:
    choices = Answer.choices()
    return {
        "answer_choices": choices,
        "answer_labels": dict(choices),
        "severity_labels": {severity: severity.label for severity in Severity},
        "good_label": _("Good:"),
        "deduction_words": _("−%(points)s points", points="{points}"),
    }


def _item_response(item, error=None, status=200, progress=None):
    """The item's card for htmx (with the progress bar out of band: `progress`, if the caller
    has counted it), else back to the list."""
    if request.htmx:
        return render_template(
            "inspections/_item_response.html",
            item=item,
            error=error,
            progress=progress_of(item.inspection_id) if progress is None else progress,
            can_record=True,
            **card_words(),
        ), status
    if error:
        flash(error, "error")
    return redirect(checklist_url("run", inspection_id=item.inspection_id) + f"#item-{item.id}")


def _refuse(item, refusal: Refused):
    db.session.rollback()
    return _item_response(item, error=str(refusal), status=refusal.status)


def save_answer(inspection_id: int, item_id: int, user, find_item, answer: str | None = None):
    """A tap (`answer`, else the form's). The common case (the user is on this draft) is stored
    without loading the item, and a changed answer's card loads it without checking it again;
    anything else goes through the item (`find_item` loads it, or answers 404) and the full
    checks, which refuse with their reason."""
    unanswered = tap_target(inspection_id, item_id, user)
    item = find_item() if unanswered is None else None
    try:
        choice = Answer(request.form.get("answer", "") if answer is None else answer)
    except ValueError:
        abort(400)
    tap = {"answered_at": _client_time("answered_at_ms"), "client_uuid": client_uuid()}
    if item is not None:
        try:
            record_answer(item, choice, user, **tap)
        except Refused as refusal:
            return _refuse(item, refusal)
        db.session.commit()
        return _item_response(item)
    stored, _stands = store_answer(item_id, choice, user.id, **tap)
    # a first answer needs no card: the phone shows it already and counts its progress itself
    wants_card = request.htmx and not (unanswered and stored)

    def card():
        item, counted = tapped_item(item_id)
        return _item_response(item, progress=counted)

    if wants_card and not writes_lock_the_database():
        # PostgreSQL locks only the tapped row (the draft's own, for its revision, only at the
        # commit): the card is read and rendered in the tap's own transaction, not in a
        # second one (a connection checkout, BEGIN and COMMIT more)
        shown = card()
        commit_keeping_loaded(db.session())
        return shown
    # SQLite locks the whole database while a write is open: commit first, then read
    commit_keeping_loaded(db.session())
    if not request.htmx:
        return redirect(checklist_url("run", inspection_id=inspection_id) + f"#item-{item_id}")
    return card() if wants_card else ("", 200)


def save_answer_on_page(inspection_id: int, user, find_item):
    """A tap on the checklist page without scripts. The page has one form for its answers
    (one CSRF token, not one an item), and the button tapped is named by its item's id
    (_item.html); `find_item(item_id)` loads an item or answers 404."""
    tapped = [(int(name), value) for name, value in request.form.items() if name.isdigit()]
    if len(tapped) != 1:
        abort(400)
    item_id, answer = tapped[0]
    return save_answer(inspection_id, item_id, user, lambda: find_item(item_id), answer)


def _commit_capture(item):
    """Commit a photo. If the same UUID was committed meanwhile (the phone resent while the
    first request was still on its way), the unique key refuses the second copy: that is a
    replay, and the answer is the item as stored."""
    try:
        commit_keeping_loaded(db.session())
    except sa.exc.IntegrityError:
        db.session.rollback()
        if not client_uuid():
            raise
        db.session.refresh(item)
    return _item_response(item)


def save_note(item, user):
    try:
        record_note(item, request.form.get("note", ""), user)
    except Refused as refusal:
        return _refuse(item, refusal)
    db.session.commit()
    return _item_response(item)


def _float(name):
    try:
        return float(request.form[name])
    except (KeyError, ValueError):
        return None


def _client_time(field: str = "taken_at_ms"):
    """A time the browser sent (ms since epoch): a photo's capture, an offline tap."""
    millis = _float(field)
    if millis is None:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def save_photos(item, user):
    files = [f for f in request.files.getlist("photo") if f and f.filename]
    if not files:
        return _item_response(item, error=_("Choose or take a photo first."), status=422)
    originals = unmarked_originals(len(files))
    try:
        for upload, original in zip(files, originals, strict=True):
            attach_photo(
                item,
                upload.read(),
                user,
                taken_at=_client_time(),
                latitude=_float("latitude"),
                longitude=_float("longitude"),
                accuracy_m=_float("accuracy"),
                client_uuid=client_uuid() if len(files) == 1 else None,
                original=original,
            )
    except Refused as refusal:
        return _refuse(item, refusal)
    return _commit_capture(item)


def replace_with_marked_up(photo, user):
    """The phone's marked-up copy of a photo it has sent (the checklist's "mark up")."""
    upload = request.files.get("photo")
    if not upload or not upload.filename:
        return _item_response(photo.item, error=_("Choose or take a photo first."), status=422)
    try:
        mark_up_photo(photo, upload.read(), user)
    except Refused as refusal:
        return _refuse(photo.item, refusal)
    db.session.commit()
    return _item_response(photo.item)


def picture_to_mark_up(photo, user):
    """The unmarked picture, unstamped, to whoever may still record on its checklist."""
    if not can_record(photo.item.inspection, user):
        abort(403)
    return send_photo(unmarked_picture(photo))


def drop_photo(photo, user):
    item = photo.item
    try:
        remove_photo(photo, user)
    except Refused as refusal:
        return _refuse(item, refusal)
    db.session.commit()
    db.session.refresh(item)
    return _item_response(item)


def finish(inspection, user, done_url: str):
    """Submit, or show the checklist again with what still needs the inspector."""
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        findings = submit(inspection, user, form.summary.data)
    except NotReady as not_ready:
        problems = {}
        for problem in not_ready.problems:
            problems.setdefault(problem.item.id, []).append(problem.message)
        return checklist_page(inspection, can_record=True, problems=problems, form=form), 422
    except Refused as refusal:
        flash(str(refusal), "error")
        return redirect(done_url)
    freeze(report_document(inspection))
    db.session.commit()
    flash(_("Inspection submitted with %(n)d findings.", n=len(findings)), "success")
    return redirect(done_url)
