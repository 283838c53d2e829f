"""The standards library: service lines, categories, check points, XLSX in and out."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import selectinload

from app.auth.access import EDITORS, role_required
from app.catalog.blueprint import bp
from app.catalog.forms import (
    CategoryForm,
    CheckPointForm,
    ImportForm,
    ServiceLineForm,
)
from app.catalog.library import (
    category_name_taken,
    import_standards,
    line_code_taken,
    point_code_taken,
    save_category,
    save_line,
    save_point,
)
from app.catalog.models import CheckCategory, CheckPoint, ServiceLine
from app.catalog.standards_io import export_xlsx
from app.core.extensions import db
from app.core.photos import send_photo, store_photo
from app.core.refusals import Refused
from app.core.spreadsheets import xlsx_response
from app.core.timeutil import local_today
from app.web.bounds import db_int
from app.web.responses import form_shown, page_or_fragment

SEARCH_LIMIT = 50


@bp.get("/catalog")
@login_required
def standards():
    lines = db.session.scalars(
        sa.select(ServiceLine)
        .order_by(ServiceLine.position, ServiceLine.name)
        .options(
            selectinload(ServiceLine.categories).selectinload(CheckCategory.check_points),
            selectinload(ServiceLine.contractors),
        )
    ).all()
    block_categories = db.session.scalars(
        sa.select(CheckCategory)
        .where(CheckCategory.service_line_id.is_(None))
        .order_by(CheckCategory.position)
    ).all()
    query = request.args.get("q", "").strip()
    results = search_check_points(query) if query else []
    return render_template(
        page_or_fragment("catalog/standards.html", "catalog/_search_results.html"),
        lines=lines,
        block_categories=block_categories,
        query=query,
        results=results,
    )


def search_check_points(query: str) -> list[CheckPoint]:
    """Check points whose code, title or standard contains the words typed."""
    pattern = f"%{query.replace('%', '').replace('_', '')}%"
    return list(
        db.session.scalars(
            sa.select(CheckPoint)
            .where(
                sa.or_(
                    CheckPoint.code.ilike(pattern),
                    CheckPoint.title.ilike(pattern),
                    CheckPoint.standard.ilike(pattern),
                )
            )
            .order_by(CheckPoint.code)
            .limit(SEARCH_LIMIT)
        )
    )


@bp.get("/catalog/lines/<int:line_id>")
@login_required
def standards_line(line_id: int):
    line = db.session.get(ServiceLine, line_id) or abort(404)
    return render_template("catalog/line.html", line=line, categories=line.categories)


@bp.get("/catalog/block")
@login_required
def standards_block():
    categories = db.session.scalars(
        sa.select(CheckCategory)
        .where(CheckCategory.service_line_id.is_(None))
        .order_by(CheckCategory.position)
    ).all()
    return render_template("catalog/line.html", line=None, categories=categories)


def _line_url(line_id: int | None) -> str:
    if line_id is None:
        return url_for("catalog.standards_block")
    return url_for("catalog.standards_line", line_id=line_id)


@bp.route("/catalog/lines/new", methods=["GET", "POST"], endpoint="standards_line_new")
@bp.route(
    "/catalog/lines/<int:line_id>/edit", methods=["GET", "POST"], endpoint="standards_line_edit"
)
@role_required(*EDITORS)
def standards_line_form(line_id: int | None = None):
    line = (db.session.get(ServiceLine, line_id) or abort(404)) if line_id else None
    form = ServiceLineForm(obj=line)
    if form.validate_on_submit():
        if line_code_taken(form.code.data, line):
            form.code.errors.append(_("This code is taken."))
        else:
            line = save_line(line, form)
            flash(_("Service line %(name)s saved.", name=line.name), "success")
            return redirect(_line_url(line.id))
    title = _("Edit service line") if line else _("New service line")
    cancel = _line_url(line.id) if line else url_for("catalog.standards")
    return form_shown("form_page.html", form=form, title=title, cancel_url=cancel)


def _line_choices():
    lines = db.session.scalars(sa.select(ServiceLine).order_by(ServiceLine.position)).all()
    return [(0, _("Block checks (every contractor)"))] + [(line.id, line.name) for line in lines]


@bp.route("/catalog/categories/new", methods=["GET", "POST"], endpoint="standards_category_new")
@bp.route(
    "/catalog/categories/<int:category_id>/edit",
    methods=["GET", "POST"],
    endpoint="standards_category_edit",
)
@role_required(*EDITORS)
def standards_category_form(category_id: int | None = None):
    category = (db.session.get(CheckCategory, category_id) or abort(404)) if category_id else None
    form = CategoryForm(obj=category)
    form.service_line_id.choices = _line_choices()
    if request.method == "GET":
        form.service_line_id.data = (
            category.service_line_id if category else request.args.get("line", 0, type=db_int)
        ) or 0
    if form.validate_on_submit():
        line_id = form.service_line_id.data or None
        if category_name_taken(line_id, form.name.data, category):
            form.name.errors.append(_("This service line already has a category of this name."))
        else:
            category = save_category(
                category, line_id=line_id, name=form.name.data, position=form.position.data
            )
            flash(_("Category %(name)s saved.", name=category.name), "success")
            return redirect(_line_url(category.service_line_id))
    title = _("Edit category") if category else _("New category")
    cancel = _line_url(category.service_line_id) if category else url_for("catalog.standards")
    return form_shown("form_page.html", form=form, title=title, cancel_url=cancel)


def _category_choices():
    categories = db.session.scalars(
        sa.select(CheckCategory)
        .outerjoin(CheckCategory.service_line)
        .order_by(
            CheckCategory.service_line_id.is_(None), ServiceLine.position, CheckCategory.position
        )
    ).all()
    block = _("Block checks")
    return [
        (c.id, f"{c.service_line.name if c.service_line else block} · {c.name}") for c in categories
    ]


@bp.route("/catalog/points/new", methods=["GET", "POST"], endpoint="standards_point_new")
@bp.route(
    "/catalog/points/<int:point_id>/edit", methods=["GET", "POST"], endpoint="standards_point_edit"
)
@role_required(*EDITORS)
def standards_point_form(point_id: int | None = None):
    point = (db.session.get(CheckPoint, point_id) or abort(404)) if point_id else None
    form = CheckPointForm(obj=point)
    form.category_id.choices = _category_choices()
    if not form.category_id.choices:
        flash(_("Create a category first."), "warning")
        return redirect(url_for("catalog.standards"))
    if request.method == "GET":
        if point:
            form.severity.data = point.severity.value
        else:
            form.category_id.data = request.args.get("category", type=db_int)
    if form.validate_on_submit():
        taken = point_code_taken(form.code.data, point)
        new_photo = _store_reference_upload(form)
        if taken:
            form.code.errors.append(_("This code is taken."))
        elif not form.reference_upload.errors:
            point = save_point(point, form, new_photo)
            flash(_("Check point %(code)s saved.", code=point.code), "success")
            return redirect(_line_url(point.category.service_line_id) + f"#point-{point.id}")
    title = _("Edit check point") if point else _("New check point")
    cancel = _line_url(point.category.service_line_id) if point else url_for("catalog.standards")
    return form_shown("form_page.html", form=form, title=title, cancel_url=cancel)


def _store_reference_upload(form: CheckPointForm) -> str | None:
    """Keep an uploaded reference photo and return its hash; a refusal goes on the field."""
    upload = form.reference_upload.data
    if not upload or not upload.filename:
        return None
    try:
        return store_photo(upload.read()).digest
    except Refused as refusal:
        form.reference_upload.errors.append(str(refusal))
        return None


@bp.get("/catalog/points/<int:point_id>/reference.jpg")
@login_required
def standards_reference_photo(point_id: int):
    point = db.session.get(CheckPoint, point_id) or abort(404)
    if not point.reference_photo:
        abort(404)
    return send_photo(point.reference_photo, thumb=request.args.get("size") == "thumb")


@bp.get("/catalog/export.xlsx")
@role_required(*EDITORS)
def standards_export():
    return xlsx_response(export_xlsx(), f"xunjian-standards-{local_today():%Y%m%d}.xlsx")


@bp.route("/catalog/import", methods=["GET", "POST"])
@role_required(*EDITORS)
def standards_import():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        report = import_standards(form.file.data.stream)
        if report.ok:
            flash(
                _(
                    "Imported: %(created)d new check points, %(updated)d updated.",
                    created=report.created,
                    updated=report.updated,
                ),
                "success",
            )
            return redirect(url_for("catalog.standards"))
    return form_shown("catalog/import.html", form=form, report=report)
