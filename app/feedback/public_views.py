"""The public side, no login: file a complaint, follow it by its private link."""

from datetime import timedelta

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from app.core.refusals import Refused
from app.feedback.blueprint import bp
from app.feedback.complaints import (
    file_online_complaint,
    filed_by_this_phone,
    find_by_token,
    public_timeline,
)
from app.feedback.forms import PublicComplaintForm
from app.web.guard import form_stamp, looks_automated, over_limit
from app.web.replays import client_uuid

COMPLAINTS_PER_ADDRESS = 5
COMPLAINT_WINDOW = timedelta(hours=1)
MAX_PHOTOS = 3


@bp.route("/feedback/complaint", methods=["GET", "POST"])
def public_complaint():
    form = PublicComplaintForm()
    refusal, status = None, 422 if request.method == "POST" else 200
    again = request.method == "POST" and filed_by_this_phone(client_uuid())
    if again:
        return _filed(*again)
    if form.validate_on_submit():
        if looks_automated(form.stamp.data, form.website.data):
            refusal = _("This form could not be accepted. Please fill it in again.")
        elif over_limit("complaint", COMPLAINTS_PER_ADDRESS, COMPLAINT_WINDOW):
            refusal = _("Too many complaints from this network just now. Please try later.")
            status = 429
        else:
            photos = [f.read() for f in form.photos.data or [] if f and f.filename]
            try:
                filed = file_online_complaint(
                    form.subject.data,
                    form.description.data,
                    form.location.data or "",
                    form.contact.data or "",
                    photos[:MAX_PHOTOS],
                    client_uuid(),
                )
            except Refused as rejected:
                refusal = str(rejected)
            else:
                return _filed(*filed)
    form.stamp.data = form_stamp()
    return render_template(
        "feedback/public_complaint.html",
        form=form,
        refusal=refusal,
        public=True,
        show_sync=True,
        sync_session_url=url_for("main.public_session_token"),
        max_photos=MAX_PHOTOS,
    ), status


def _filed(complaint, token):
    return render_template(
        "feedback/complaint_filed.html",
        complaint=complaint,
        link=url_for("feedback.complaint_status", token=token, _external=True),
        public=True,
    )


@bp.get("/feedback/complaint/<token>")
def complaint_status(token: str):
    complaint = find_by_token(token) or abort(404)
    return render_template(
        "feedback/complaint_status.html",
        complaint=complaint,
        timeline=public_timeline(complaint),
        public=True,
    )
