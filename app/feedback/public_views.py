"""The public side, no login: file a complaint, follow it by its private link."""

from datetime import timedelta

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.feedback import bp
from app.feedback.complaints import file_complaint, find_by_token, public_timeline
from app.feedback.forms import PublicComplaintForm
from app.feedback.guard import form_stamp, looks_automated, note_submission, over_limit
from app.feedback.models import ComplaintChannel

COMPLAINTS_PER_ADDRESS = 5
COMPLAINT_WINDOW = timedelta(hours=1)


@bp.route("/feedback/complaint", methods=["GET", "POST"])
def public_complaint():
    form = PublicComplaintForm()
    refusal, status = None, 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        if looks_automated(form.stamp.data, form.website.data):
            refusal = _("This form could not be accepted. Please fill it in again.")
        elif over_limit("complaint", COMPLAINTS_PER_ADDRESS, COMPLAINT_WINDOW):
            refusal = _("Too many complaints from this network just now. Please try later.")
            status = 429
        else:
            complaint, token = file_complaint(
                ComplaintChannel.ONLINE,
                form.subject.data,
                form.description.data,
                location=form.location.data or "",
                contact=form.contact.data or "",
            )
            note_submission("complaint")
            db.session.commit()
            return render_template(
                "feedback/complaint_filed.html",
                complaint=complaint,
                link=url_for("feedback.complaint_status", token=token, _external=True),
                public=True,
            )
    form.stamp.data = form_stamp()
    return render_template(
        "feedback/public_complaint.html", form=form, refusal=refusal, public=True
    ), status


@bp.get("/feedback/complaint/<token>")
def complaint_status(token: str):
    complaint = find_by_token(token) or abort(404)
    return render_template(
        "feedback/complaint_status.html",
        complaint=complaint,
        timeline=public_timeline(complaint),
        public=True,
    )
