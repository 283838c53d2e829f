"""The organisation workbook's pages, for administrators: download the template or the
current organisation, upload a workbook, read the dry run, confirm exactly that."""

import sqlalchemy as sa
from flask import current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import ADMINS, role_required
from app.auth.invitations import VALID_FOR
from app.core.extensions import db
from app.core.files import sha256
from app.core.spreadsheets import xlsx_response
from app.core.timeutil import local_today
from app.organisation.apply import import_plan
from app.organisation.blueprint import bp
from app.organisation.changes import ENTITIES
from app.organisation.export import export_workbook, template_workbook
from app.organisation.forms import ConfirmImportForm, WorkbookUploadForm
from app.organisation.pending import discard_upload, keep_upload, read_upload
from app.organisation.plan import plan_import
from app.organisation.workbook import Unreadable, check_file
from app.web.responses import form_shown

SHOWN_PER_LIST = 100  # records listed per kind and outcome; the counts cover the rest


@bp.get("/organisation/import")
@role_required(*ADMINS)
def import_page():
    return render_template("organisation/import.html", form=WorkbookUploadForm())


@bp.post("/organisation/import")
@role_required(*ADMINS)
def upload():
    form = WorkbookUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            check_file(data)
        except Unreadable as refusal:
            form.file.errors.append(str(refusal))
        else:
            token = keep_upload(data, current_user.id)
            return redirect(url_for("organisation.review", token=token))
    return form_shown("organisation/import.html", form=form)


@bp.get("/organisation/import/<token>")
@role_required(*ADMINS)
def review(token: str):
    data = read_upload(token, current_user.id)
    if data is None:
        return _upload_gone()
    plan = plan_import(data, actor=current_user._get_current_object())
    db.session.rollback()  # a dry run: whatever it loaded goes, nothing was written
    form = ConfirmImportForm(workbook=sha256(data), plan=plan.digest)
    return render_template(
        "organisation/review.html",
        plan=plan,
        form=form,
        token=token,
        entities=ENTITIES,
        shown=SHOWN_PER_LIST,
    )


@bp.post("/organisation/import/<token>")
@role_required(*ADMINS)
def confirm(token: str):
    form = ConfirmImportForm()
    back = redirect(url_for("organisation.review", token=token))
    if not form.validate_on_submit():
        flash(_("Confirm from the dry run's page."), "error")
        return back
    data = read_upload(token, current_user.id)
    if data is None:
        return _upload_gone()
    actor = current_user._get_current_object()
    plan = plan_import(data, actor=actor)
    if sha256(data) != form.workbook.data or plan.digest != form.plan.data or not plan.ok:
        db.session.rollback()
        flash(_("The system changed since this dry run. Check it again, then confirm."), "warning")
        return back
    try:
        invited = import_plan(plan, actor)
    except sa.exc.IntegrityError:
        db.session.rollback()
        flash(_("The import could not be written, so nothing was imported. Try again."), "error")
        return back
    discard_upload(token, current_user.id)
    counts = plan.counts().values()
    flash(
        _(
            "Imported: %(created)d records created, %(changed)d changed.",
            created=sum(c["created"] for c in counts),
            changed=sum(c["changed"] for c in counts),
        ),
        "success",
    )
    if not invited:
        return redirect(url_for("organisation.import_page"))
    return invitations_shown(invited)


def invitations_shown(invited):
    """The new accounts' invitation links: shown this once, kept by no cache."""
    response = make_response(
        render_template(
            "organisation/invitations.html",
            invited=invited,
            days=VALID_FOR.days,
            mailing=bool(current_app.config["SMTP_HOST"]),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _upload_gone():
    flash(_("That upload is no longer kept. Upload the workbook again."), "warning")
    return redirect(url_for("organisation.import_page"))


@bp.get("/organisation/export.xlsx")
@role_required(*ADMINS)
def export():
    return xlsx_response(export_workbook(), f"xunjian-organisation-{local_today():%Y%m%d}.xlsx")


@bp.get("/organisation/template.xlsx")
@role_required(*ADMINS)
def template():
    return xlsx_response(template_workbook(), "xunjian-organisation-template.xlsx")
