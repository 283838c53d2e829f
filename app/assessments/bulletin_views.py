"""The monthly bulletin: managers draft, write and publish; everyone reads what is published."""

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.assessments.blueprint import bp
from app.assessments.bulletins import (
    bulletin_data,
    bulletin_document,
    get_or_create,
    publish,
    render_bulletin,
)
from app.assessments.models import Bulletin, BulletinStatus
from app.assessments.views import checked_month
from app.auth.access import EDITORS, EVERYONE, role_required
from app.core.extensions import db
from app.core.pdf import pdf_response
from app.documents.versions import send_version, versions_of
from app.web.bounds import db_int

PROSE = ("summary", "praise", "criticism", "measures")


def _readable(month: str) -> Bulletin | None:
    """The bulletin if the user may read it: published for all, drafts for managers."""
    bulletin = db.session.scalar(sa.select(Bulletin).where(Bulletin.month == month))
    if bulletin is not None and bulletin.status == BulletinStatus.PUBLISHED:
        return bulletin
    if current_user.role not in EDITORS:
        abort(404)
    return bulletin


def _bulletin_and_data(month: str) -> tuple[Bulletin, dict]:
    """The published bulletin and its frozen figures, or for managers the draft, live."""
    found = _readable(month)
    if found is not None and found.status == BulletinStatus.PUBLISHED:
        return found, found.snapshot
    return found or Bulletin(month=month, status=BulletinStatus.DRAFT), bulletin_data(month)


@bp.get("/bulletins")
@role_required(*EVERYONE)
def bulletins():
    query = sa.select(Bulletin).order_by(Bulletin.month.desc())
    if current_user.role not in EDITORS:
        query = query.where(Bulletin.status == BulletinStatus.PUBLISHED)
    return render_template("assessments/bulletins.html", bulletins=db.session.scalars(query).all())


@bp.get("/bulletins/<month>")
@role_required(*EVERYONE)
def bulletin(month: str):
    month = checked_month(month)
    shown, data = _bulletin_and_data(month)
    versions = versions_of("bulletin", shown.id) if shown.id else []
    return render_template(
        "assessments/bulletin.html", bulletin=shown, data=data, versions=versions
    )


@bp.post("/bulletins/<month>")
@role_required(*EDITORS)
def save_bulletin(month: str):
    month = checked_month(month)
    draft = get_or_create(month)
    if draft.status == BulletinStatus.PUBLISHED:
        flash(_("A published bulletin cannot be changed."), "error")
    else:
        for name in PROSE:
            setattr(draft, name, request.form.get(name, "").strip()[:5000])
        db.session.commit()
        flash(_("Bulletin saved."), "success")
    return redirect(url_for("assessments.bulletin", month=month))


@bp.post("/bulletins/<month>/publish")
@role_required(*EDITORS)
def publish_bulletin(month: str):
    month = checked_month(month)
    draft = get_or_create(month)
    if draft.status == BulletinStatus.PUBLISHED:
        flash(_("A published bulletin cannot be changed."), "error")
        return redirect(url_for("assessments.bulletin", month=month))
    publish(draft, current_user._get_current_object())
    db.session.commit()
    flash(_("Bulletin published."), "success")
    return redirect(url_for("assessments.bulletin", month=month))


@bp.get("/bulletins/<month>.pdf")
@role_required(*EVERYONE)
def bulletin_pdf(month: str):
    month = checked_month(month)
    shown, data = _bulletin_and_data(month)
    if shown.status == BulletinStatus.PUBLISHED:
        return send_version(
            bulletin_document(shown), request.args.get("version", type=db_int), f"bulletin-{month}"
        )
    return pdf_response(render_bulletin(shown, data), f"bulletin-{month}-draft.pdf")
