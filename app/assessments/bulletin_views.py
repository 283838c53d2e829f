"""The monthly bulletin: managers draft, write and publish; everyone reads what is published."""

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessments.access import bulletins_seen, get_published_bulletin, get_readable_bulletin
from app.assessments.blueprint import bp
from app.assessments.bulletin_drafts import publish_draft, save_prose
from app.assessments.bulletins import (
    bulletin_data,
    bulletin_document,
    phone_image,
    published_pdf,
    render_bulletin,
)
from app.assessments.forms import BulletinForm
from app.assessments.models import Bulletin, BulletinStatus
from app.assessments.views import checked_month
from app.auth.access import EDITORS, EVERYONE, role_required
from app.core.extensions import db
from app.core.files import Kind, send_stored
from app.core.pdf import pdf_response
from app.core.refusals import Refused
from app.documents.ofd import send_ofd
from app.documents.versions import send_version, versions_of
from app.web.bounds import db_int
from app.web.responses import apply

PROSE = ("summary", "praise", "criticism", "measures")


def _bulletin_and_data(month: str) -> tuple[Bulletin, dict]:
    """The published bulletin and its frozen figures, or for managers the draft, live."""
    found = get_readable_bulletin(month)
    if found is not None and found.status == BulletinStatus.PUBLISHED:
        return found, found.snapshot
    return found or Bulletin(month=month, status=BulletinStatus.DRAFT), bulletin_data(month)


@bp.get("/bulletins")
@role_required(*EVERYONE)
def bulletins():
    query = sa.select(Bulletin).where(bulletins_seen(current_user)).order_by(Bulletin.month.desc())
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
    form = BulletinForm()  # prose only: any text will do
    return apply(
        lambda: save_prose(month, form.data),
        url_for("assessments.bulletin", month=month),
        _("Bulletin saved."),
    )


@bp.post("/bulletins/<month>/publish")
@role_required(*EDITORS)
def publish_bulletin(month: str):
    month = checked_month(month)
    return apply(
        lambda: publish_draft(month, current_user._get_current_object()),
        url_for("assessments.bulletin", month=month),
        _("Bulletin published."),
    )


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


@bp.get("/bulletins/<month>.ofd")
@role_required(*EVERYONE)
def bulletin_ofd(month: str):
    """The published bulletin as OFD, made from the PDF of the same version; a draft has none."""
    month = checked_month(month)
    return send_ofd(
        bulletin_document(get_published_bulletin(month)),
        request.args.get("version", type=db_int),
        f"bulletin-{month}",
    )


@bp.get("/bulletins/<month>.png")
@role_required(*EVERYONE)
def bulletin_png(month: str):
    """The published bulletin as one long image for phones, made from its PDF at publishing
    (for one published before, at its first request)."""
    month = checked_month(month)
    pdf = published_pdf(get_published_bulletin(month))
    image = phone_image(pdf)
    db.session.commit()  # the PDF of a bulletin published before versions were kept, frozen now
    if image is None:
        raise Refused(
            _("The long image cannot be made just now; the PDF is the same bulletin."), status=503
        )
    return send_stored(Kind.BULLETIN_IMAGE, image, "image/png", f"bulletin-{month}.png")
