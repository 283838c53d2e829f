"""Managers keep the plans; inspectors start planned visits from the today page or by
scanning a place's QR code; everyone supervising sees what was missed."""

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app.auth.access import EDITORS, SUPERVISORS, role_required
from app.auth.models import User
from app.catalog.models import Contractor, ServiceLine, Site
from app.catalog.sites import site_choices, site_tree
from app.core.extensions import db
from app.core.pdf import pdf_response, render_pdf
from app.core.qrcodes import qr_svg
from app.core.timeutil import (
    local_today,
    month_days,
    month_of,
    parse_day,
    parse_month,
    shift_month,
    utcnow,
)
from app.inspections.checklist import plan_check_points
from app.inspections.models import Party, Tier
from app.plans.access import can_edit_plans, get_plan, get_stop, plan_inspector_accounts
from app.plans.blueprint import bp
from app.plans.forms import (
    WEEKDAYS,
    FrequencyPlansForm,
    MoveStopForm,
    PlanForm,
    ScanForm,
    StopPointsForm,
    visit_key,
)
from app.plans.keeping import choose_stop_points, reorder_stop, save_plan
from app.plans.models import InspectionPlan, PlanStop, VisitState
from app.plans.proposals import (
    ProposedPlan,
    active_line,
    create_plans,
    propose_plans,
)
from app.plans.qr import scan_url
from app.plans.recurrence import current_due
from app.plans.tracking import (
    PLAN_SHOWN,
    open_planned_survey,
    open_visits,
    start_visit,
    stop_coverage,
    visits_between,
)
from app.web.responses import apply, form_shown


@bp.get("/plans")
@role_required(*SUPERVISORS)
def plans():
    today = local_today()
    rows = db.session.scalars(
        sa.select(InspectionPlan)
        .options(
            selectinload(InspectionPlan.stops).selectinload(PlanStop.site),
            selectinload(InspectionPlan.inspectors),
            selectinload(InspectionPlan.contractor),
            selectinload(InspectionPlan.service_line),
        )
        .order_by(InspectionPlan.active.desc(), InspectionPlan.name)
    ).all()
    return render_template(
        "plans/list.html",
        plans=rows,
        current={plan.id: current_due(plan.rule, today) for plan in rows},
        can_edit=can_edit_plans(current_user),
    )


def _fill_choices(form: PlanForm | FrequencyPlansForm) -> None:
    lines = db.session.scalars(
        sa.select(ServiceLine).where(ServiceLine.active.is_(True)).order_by(ServiceLine.position)
    ).all()
    form.service_line.choices = [("", "—")] + [(line.id, line.name) for line in lines]
    form.sites.choices = site_choices()
    inspectors = db.session.scalars(
        sa.select(User)
        .where(plan_inspector_accounts(), User.active.is_(True))
        .order_by(User.display_name)
    ).all()
    form.inspectors.choices = [(u.id, u.display_name) for u in inspectors]
    if isinstance(form, FrequencyPlansForm):
        return
    contractors = db.session.scalars(
        sa.select(Contractor).where(Contractor.active.is_(True)).order_by(Contractor.name)
    ).all()
    form.contractor.choices = [("", "—")] + [(c.id, c.name) for c in contractors]


@bp.route("/plans/new", methods=["GET", "POST"], endpoint="new")
@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"], endpoint="edit")
@role_required(*EDITORS)
def plan_form(plan_id: int | None = None):
    plan = get_plan(plan_id) if plan_id else None
    form = PlanForm(obj=plan)
    _fill_choices(form)
    if request.method == "GET":
        if plan:
            form.activity.data = plan.activity.value
            form.recurrence.data = plan.recurrence.value
            if not plan.is_survey:
                form.tier.data, form.scope.data = plan.tier.value, plan.scope.value
            form.party.data = plan.party.value
            form.service_line.data = plan.service_line_id
            form.contractor.data = plan.contractor_id
            form.frequency.data = plan.frequency.value if plan.frequency else ""
            form.sites.data = [stop.site_id for stop in plan.stops]
            form.inspectors.data = [user.id for user in plan.inspectors]
        else:
            form.starts_on.data = local_today()
    if form.validate_on_submit():
        plan = save_plan(plan, form)
        flash(_("Plan saved."), "success")
        return redirect(url_for("plans.plan", plan_id=plan.id))
    title = _("Edit plan %(name)s", name=plan.name) if plan else _("New inspection plan")
    cancel = url_for("plans.plan", plan_id=plan.id) if plan else url_for("plans.plans")
    return form_shown("form_page.html", form=form, title=title, cancel_url=cancel)


@bp.route("/plans/from-frequencies", methods=["GET", "POST"])
@role_required(*EDITORS)
def from_frequencies():
    """Plans from a line's frequencies, step one: the line, the route, the start and the
    team. Sent, it shows the plans proposed for review; nothing is saved yet."""
    form = FrequencyPlansForm()
    _fill_choices(form)
    if request.method == "GET":
        form.service_line.data = request.args.get("line", type=int)
        form.starts_on.data = local_today()
        form.party.data = Party.INTERNAL.value
    elif form.validate_on_submit():
        line = active_line(form.service_line.data)
        proposals = propose_plans(line, form.starts_on.data)
        for proposal in proposals:
            form.plans.append_entry(proposal)
        if form.plans.entries:
            return _review(form, line, proposals, status=200)
        form.service_line.errors.append(_("This line has no active check points."))
    return form_shown("plans/from_frequencies.html", form=form)


@bp.post("/plans/from-frequencies/save")
@role_required(*EDITORS)
def save_from_frequencies():
    """Step two: create the plans kept on the review page, as adjusted there, together."""
    form = FrequencyPlansForm()
    _fill_choices(form)
    valid = form.validate_on_submit()
    # The line is looked up only once the form has taken it as one of its choices.
    line = None if form.choice_refused() else active_line(form.service_line.data)
    if line is None or not form.plans.entries:
        return form_shown("plans/from_frequencies.html", form=form)
    proposals = propose_plans(line, form.starts_on.data)
    if not _same_frequencies(form, proposals) or not valid:
        return _review(form, line, proposals, status=422)
    _adjust(form, proposals)
    sites = sorted(
        db.session.scalars(sa.select(Site).where(Site.id.in_(form.sites.data))),
        key=lambda site: form.sites.data.index(site.id),
    )
    inspectors = db.session.scalars(sa.select(User).where(User.id.in_(form.inspectors.data)))
    party = Party(form.party.data)
    return apply(
        lambda: create_plans(line, sites, list(inspectors), party, proposals),
        back=url_for("plans.from_frequencies", line=line.id),
        done=url_for("plans.plans"),
        success=_("Plans created from the frequencies of %(line)s.", line=line.name),
    )


def _same_frequencies(form: FrequencyPlansForm, proposals: list[ProposedPlan]) -> bool:
    """Whether the review page proposed the plans the line's points still propose (else the
    form says so)."""
    sent = [entry.frequency.data for entry in form.plans]
    if sorted(sent) == sorted(proposal.frequency.value for proposal in proposals):
        return True
    form.form_errors.append(_("The line's check points have changed: review the plans again."))
    return False


def _adjust(form: FrequencyPlansForm, proposals: list[ProposedPlan]) -> None:
    """Each proposal as the review page kept and changed it."""
    entries = {entry.frequency.data: entry.form for entry in form.plans}
    for proposal in proposals:
        entry = entries[proposal.frequency.value]
        proposal.chosen = entry.chosen.data
        if proposal.chosen:
            proposal.name, proposal.starts_on = entry.name.data, entry.starts_on.data
            proposal.tier = Tier(entry.tier.data)
            proposal.weekday = entry.weekday.data
            proposal.day_of_month = entry.day_of_month.data
            proposal.period_month = entry.period_month.data


def _review(
    form: FrequencyPlansForm, line: ServiceLine, proposals: list[ProposedPlan], status: int
):
    """The proposed plans to keep or leave out and adjust; 422 when sent back refused."""
    page = render_template(
        "plans/review.html",
        form=form,
        line=line,
        points={proposal.frequency.value: proposal.points for proposal in proposals},
        route=[label.strip() for value, label in form.sites.choices if value in form.sites.data],
        team=[name for value, name in form.inspectors.choices if value in form.inspectors.data],
        party=Party(form.party.data),
    )
    return page, status


@bp.get("/plans/<int:plan_id>")
@role_required(*SUPERVISORS)
def plan(plan_id: int):
    plan = get_plan(plan_id, *PLAN_SHOWN)
    today = local_today()
    first, _last = month_days(month_of(utcnow()))
    month_visits = visits_between(first, today, today, plans=[plan] if plan.active else [])
    return render_template(
        "plans/plan.html",
        plan=plan,
        current=current_due(plan.rule, today),
        visits=month_visits,
        weekdays=WEEKDAYS,
        can_edit=can_edit_plans(current_user),
    )


@bp.post("/plans/<int:plan_id>/stops/<int:stop_id>/move")
@role_required(*EDITORS)
def move_stop(plan_id: int, stop_id: int):
    plan = get_plan(plan_id)
    reorder_stop(plan, get_stop(plan, stop_id), earlier=MoveStopForm().direction.data == "up")
    return redirect(url_for("plans.plan", plan_id=plan.id) + "#route")


@bp.route("/plans/<int:plan_id>/stops/<int:stop_id>", methods=["GET", "POST"])
@role_required(*EDITORS)
def stop_points(plan_id: int, stop_id: int):
    """Choose which of the plan's check points are asked at one stop of the route."""
    plan = get_plan(plan_id)
    stop = get_stop(plan, stop_id)
    form = StopPointsForm()
    available = plan_check_points(stop_coverage(stop, every_point=True))
    form.check_points.choices = [
        (point.id, f"{point.category.name} · {point.code} {point.title}") for point in available
    ]
    if request.method == "GET":
        form.check_points.data = [point.id for point in stop.check_points]
    if form.validate_on_submit():
        chosen = set(form.check_points.data or [])
        choose_stop_points(plan, stop, [point for point in available if point.id in chosen])
        flash(_("Check points of %(place)s saved.", place=stop.site.name), "success")
        return redirect(url_for("plans.plan", plan_id=plan.id) + "#route")
    title = _("Check points at %(place)s", place=stop.site.path)
    return form_shown(
        "form_page.html",
        form=form,
        title=title,
        cancel_url=url_for("plans.plan", plan_id=plan.id) + "#route",
    )


@bp.get("/plans/missed")
@role_required(*SUPERVISORS)
def missed():
    month = request.args.get("month") or month_of(utcnow())
    try:
        first, last = month_days(parse_month(month))
    except ValueError:
        abort(404)
    today = local_today()
    visits = [
        visit for visit in visits_between(first, last, today) if visit.state == VisitState.MISSED
    ]
    return render_template(
        "plans/missed.html",
        month=month,
        visits=visits,
        previous=shift_month(month, -1),
        following=shift_month(month, 1),
    )


def _visit_site(plan: InspectionPlan, site_id: int) -> Site:
    return next((site for site in plan.sites if site.id == site_id), None) or abort(404)


def _due_date(due: str) -> date:
    """The occurrence a link names by its due date; a malformed date names none."""
    try:
        return parse_day(due)
    except ValueError:
        abort(404)


@bp.post("/plans/<int:plan_id>/visits/<due>/<int:site_id>")
@role_required(*SUPERVISORS)
def start(plan_id: int, due: str, site_id: int):
    plan = get_plan(plan_id)
    due_date = _due_date(due)
    site = _visit_site(plan, site_id)
    me = current_user._get_current_object()
    return apply(
        lambda: start_visit(plan, due_date, site, me, local_today()),
        back=url_for("main.home"),
        done=lambda inspection: url_for("inspections.run", inspection_id=inspection.id),
    )


@bp.post("/plans/<int:plan_id>/surveys/<due>")
@role_required(*EDITORS)
def open_survey(plan_id: int, due: str):
    """Open the opinion survey a survey plan has falling due."""
    plan = get_plan(plan_id)
    due_date = _due_date(due)
    me = current_user._get_current_object()
    return apply(
        lambda: open_planned_survey(plan, due_date, me, local_today()),
        back=url_for("main.home"),
        done=lambda survey: url_for("feedback.survey", survey_id=survey.id),
    )


def _site_for_token(token: str) -> Site:
    return db.session.scalar(sa.select(Site).where(Site.scan_token == token)) or abort(404)


@bp.route("/scan/<token>", methods=["GET", "POST"])
@role_required(*SUPERVISORS)
def scan(token: str):
    """What a phone opens from a place's QR code: each patrol due here, one tap to start the
    one chosen (plans along one route fall due together)."""
    site = _site_for_token(token)
    today = local_today()
    here = [
        visit
        for visit in open_visits(current_user, today)
        if visit.site == site and visit.state in (VisitState.DUE, VisitState.IN_PROGRESS)
    ]
    form = ScanForm()
    sent = form.validate_on_submit()
    visit = form.chosen(here) if sent else None
    if visit is None:
        if sent:
            flash(_("That patrol is not due here today: choose one of those below."), "error")
        return form_shown("plans/scan.html", site=site, visits=here, form=form, visit_key=visit_key)
    me, position = current_user._get_current_object(), form.position()
    return apply(
        lambda: start_visit(
            visit.plan, visit.due, site, me, today, scanned_at=utcnow(), position=position
        ),
        back=url_for("plans.scan", token=token),
        done=lambda inspection: url_for("inspections.run", inspection_id=inspection.id),
    )


@bp.get("/sites/<int:site_id>/labels.pdf")
@role_required(*EDITORS)
def labels(site_id: int):
    """A sheet of QR labels for a place and everything inside it, to print and stick up."""
    site = db.session.get(Site, site_id) or abort(404)
    places = [node.site for node in site_tree() if _inside(node.site, site)]
    codes = [(place, qr_svg(scan_url(place), scale=3)) for place in places]
    pdf = render_pdf("plans/labels_pdf.html", site=site, codes=codes)
    return pdf_response(pdf, f"labels-{site.code}.pdf")


def _inside(place: Site, building: Site) -> bool:
    node = place
    while node is not None:
        if node.id == building.id:
            return True
        node = node.parent
    return False
