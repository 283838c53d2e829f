"""The site tree: compounds, buildings, floors, rooms and areas."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.auth.access import EDITORS, SUPERVISORS, role_required
from app.catalog.blueprint import bp
from app.catalog.forms import SiteForm
from app.catalog.models import SITE_CHILD_KINDS, Site, SiteKind
from app.catalog.sites import (
    placement_error,
    save_site,
    site_choices,
    site_code_taken,
    site_tree,
)
from app.core.extensions import db
from app.web.bounds import db_int
from app.web.responses import form_shown


@bp.get("/sites")
@role_required(*SUPERVISORS)
def sites():
    return render_template("catalog/sites.html", nodes=site_tree())


@bp.route("/sites/new", methods=["GET", "POST"], endpoint="site_new")
@bp.route("/sites/<int:site_id>/edit", methods=["GET", "POST"], endpoint="site_edit")
@role_required(*EDITORS)
def site_form(site_id: int | None = None):
    site = (db.session.get(Site, site_id) or abort(404)) if site_id else None
    form = SiteForm(obj=site)
    form.parent_id.choices = [(0, _("(top level)"))] + [
        (site_id, label) for site_id, label in site_choices() if site is None or site_id != site.id
    ]
    if request.method == "GET":
        if site:
            form.kind.data = site.kind.value
            form.parent_id.data = site.parent_id or 0
        else:
            parent = db.session.get(Site, request.args.get("parent", 0, type=db_int))
            form.parent_id.data = parent.id if parent else 0
            form.kind.data = _suggested_kind(parent).value
    if form.validate_on_submit():
        parent = db.session.get(Site, form.parent_id.data) if form.parent_id.data else None
        kind = SiteKind(form.kind.data)
        problem = placement_error(kind, parent, moving=site)
        if problem:
            form.parent_id.errors.append(problem)
        elif site_code_taken(form.code.data, site):
            form.code.errors.append(_("This code is taken."))
        else:
            site = save_site(
                site,
                parent=parent,
                kind=kind,
                name=form.name.data,
                code=form.code.data,
                position=form.position.data,
                location=(form.latitude.data, form.longitude.data),
            )
            flash(_("Site %(name)s saved.", name=site.name), "success")
            return redirect(url_for("catalog.sites") + f"#site-{site.id}")
    title = _("Edit site") if site else _("New site")
    return form_shown(
        "form_page.html",
        form=form,
        title=title,
        cancel_url=url_for("catalog.sites"),
        location_button=True,
    )


def _suggested_kind(parent: Site | None) -> SiteKind:
    """The first kind allowed under `parent`, to pre-fill the form."""
    allowed = SITE_CHILD_KINDS[parent.kind if parent else None]
    return allowed[0] if allowed else SiteKind.AREA
