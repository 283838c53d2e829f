"""The monthly bulletin's figures, and publishing: a frozen snapshot, a stored PDF and the
long image for phones made from it."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.assessments.areas import area_figures
from app.assessments.models import Bulletin, BulletinStatus
from app.assessments.monthly import ContractorResult, Months, assess_month, assess_months
from app.catalog.models import Contractor, ServiceLine, Severity
from app.catalog.rules import assessment_policy
from app.core.audit import record_event
from app.core.extensions import db
from app.core.files import Kind
from app.core.long_image import ImageFailed, long_image
from app.core.pdf import render_pdf
from app.core.timeutil import local_today, month_bounds, shift_month, utcnow
from app.documents.models import DocumentVersion
from app.documents.versions import Issued, freeze, latest, made_from_pdf
from app.inspections.models import Inspection, Status
from app.notices.models import Notice, NoticeItem, NoticeStatus
from app.notify.events import announce, contractor_users
from app.notify.models import EventKind
from app.plans.tracking import month_figures
from app.web.links import path_for

TREND_MONTHS = 6


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def bulletin_data(month: str) -> dict:
    """Everything the bulletin prints, as plain JSON-ready values."""
    results = assess_month(month)
    current = assessment_policy()
    line_names = {line.id: line.name for line in db.session.scalars(sa.select(ServiceLine))}
    ranking = _ranking(results, line_names)
    criticise_below = Decimal(current.criticise_below)
    return {
        "month": month,
        "ranking": ranking,
        "by_line": _scores_by_line(results, line_names),
        "findings_by_line": _findings_by_line(results, line_names),
        "by_area": area_figures(month),
        "notices": notice_figures(month),
        "plans": month_figures(month, local_today()),
        "praise": [
            row["short_name"]
            for row in ranking[: current.praise_top]
            if Decimal(row["overall"]) >= criticise_below
        ],
        "criticism": [
            row["short_name"] for row in ranking if Decimal(row["overall"]) < criticise_below
        ],
        "trend": trend(month, results),
    }


def _ranking(results: list[ContractorResult], line_names: dict[int, str]) -> list[dict]:
    """Each contractor's place, scores by line, satisfaction, money and flags, best first."""
    return [
        {
            "contractor_id": r.contractor.id,
            "name": r.contractor.name,
            "short_name": r.contractor.short_name,
            "rank": r.rank,
            "overall": _str(r.overall),
            "satisfaction": _str(r.satisfaction),
            "money": _str(r.money),
            "findings": len(r.findings),
            "terminate": r.flagged_for_termination,
            "retender": r.retender,
            "lines": [
                {
                    "line": line_names[line.service_line_id],
                    "score": _str(line.score),
                    "deducted": _str(line.deducted),
                    "bonus": _str(line.bonus),
                }
                for line in r.lines
            ],
        }
        for r in results
    ]


def _scores_by_line(
    results: list[ContractorResult], line_names: dict[int, str]
) -> dict[str, list[dict]]:
    """For each service line, its contractors' scores on it, best first."""
    by_line: dict[str, list[dict]] = {}
    for r in results:
        for line in r.lines:
            by_line.setdefault(line_names[line.service_line_id], []).append(
                {"short_name": r.contractor.short_name, "score": _str(line.score)}
            )
    for rows in by_line.values():
        rows.sort(key=lambda row: -Decimal(row["score"]))
    return by_line


def _findings_by_line(
    results: list[ContractorResult], line_names: dict[int, str]
) -> dict[str, dict[str, int]]:
    """The month's findings counted by service line and severity; a finding without a line
    counts on its contractor's first line."""
    counted: dict[str, dict[str, int]] = {}
    for r in results:
        for finding in r.findings:
            line = line_names.get(finding.line_id) or line_names[r.lines[0].service_line_id]
            counts = counted.setdefault(line, {s.value: 0 for s in Severity})
            counts[finding.severity.value] += 1
    return counted


def notice_figures(month: str) -> dict[str, int]:
    """Notices issued in the month, closed, closed with every item fixed by the deadline it
    was issued with (a rejection moves an item's deadline on, not the notice's), and notices
    that went overdue in the month: counted in the database."""
    start, end = month_bounds(month)
    closed = Notice.status == NoticeStatus.CLOSED
    late = (
        sa.select(NoticeItem.id)
        .where(
            NoticeItem.notice_id == Notice.id,
            sa.func.coalesce(NoticeItem.fix_reported_at, Notice.closed_at) > Notice.deadline,
        )
        .exists()
    )
    issued, closed_count, on_time = db.session.execute(
        sa.select(
            sa.func.count(Notice.id),
            sa.func.count(Notice.id).filter(closed),
            sa.func.count(Notice.id).filter(closed, ~late),
        ).where(Notice.issued_at >= start, Notice.issued_at < end)
    ).one()
    overdue = db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(
            Notice.overdue_at >= start, Notice.overdue_at < end
        )
    )
    return {"issued": issued, "closed": closed_count, "closed_on_time": on_time, "overdue": overdue}


def trend(month: str, this_month: list | None = None) -> dict:
    """Each contractor's overall score over the last six months, oldest first, in the months
    with a submitted inspection (`this_month`: the month's results, when the caller has them
    already). The earlier months are assessed together, so the statements do not grow with
    the months."""
    months = [shift_month(month, -back) for back in range(TREND_MONTHS - 1, -1, -1)]
    inspected = _months_inspected(months)
    assessed = assess_months(months[:-1] if this_month is not None else months)
    if this_month is not None:
        assessed[month] = this_month
    series: dict[str, list[str]] = {}
    for index, each in enumerate(months):
        if each not in inspected:
            continue  # no record that month: no score to plot
        for r in assessed[each]:
            row = series.setdefault(r.contractor.short_name, [None] * len(months))
            row[index] = str(r.overall)
    return {"months": months, "series": series}


def _months_inspected(months: list[str]) -> set[str]:
    """Which of these consecutive months have a submitted inspection, in one statement."""
    stretch = Months.of(months)
    which = stretch.index(Inspection.started_at)
    rows = db.session.scalars(
        sa.select(which)
        .where(Inspection.status == Status.SUBMITTED, stretch.within(Inspection.started_at))
        .group_by(which)
    )
    return {months[index] for index in rows}


def get_or_create(month: str) -> Bulletin:
    bulletin = db.session.scalar(sa.select(Bulletin).where(Bulletin.month == month))
    if bulletin is None:
        bulletin = Bulletin(month=month, status=BulletinStatus.DRAFT)
        db.session.add(bulletin)
        db.session.flush()
    return bulletin


def render_bulletin(bulletin: Bulletin, data: dict, stamp=None) -> bytes:
    return render_pdf("assessments/bulletin_pdf.html", bulletin=bulletin, data=data, stamp=stamp)


def bulletin_document(bulletin: Bulletin) -> Issued:
    """The published bulletin: its figures and prose are frozen, so it has one version."""
    return Issued(
        kind="bulletin",
        record_id=bulletin.id,
        number=_("Bulletin %(month)s", month=bulletin.month),
        addressee=_("All contractors"),
        dated=bulletin.published_at,
        state_key="published",
        state_label=_("Published"),
        render=lambda stamp: render_bulletin(bulletin, bulletin.snapshot, stamp),
    )


def published_pdf(bulletin: Bulletin) -> DocumentVersion:
    """The stored PDF a published bulletin is downloaded as; one published before versions
    were kept has it frozen now, as at its first download."""
    return latest("bulletin", bulletin.id) or freeze(bulletin_document(bulletin))


def phone_image(pdf: DocumentVersion) -> str | None:
    """Make and store the bulletin's long image from its stored PDF, unless it is stored
    already; the PDF's digest, which the image is stored under, or None if it cannot be made
    (the reason is logged)."""
    if made_from_pdf(pdf, Kind.BULLETIN_IMAGE, long_image, ImageFailed):
        return pdf.digest
    return None


def publish(bulletin: Bulletin, user) -> None:
    """Freeze the figures and the prose: store the data, the PDF made from them and the long
    image made from the PDF."""
    if bulletin.status == BulletinStatus.PUBLISHED:
        raise ValueError("already published")
    bulletin.snapshot = bulletin_data(bulletin.month)
    bulletin.status = BulletinStatus.PUBLISHED
    bulletin.published_at, bulletin.published_by = utcnow(), user
    pdf = freeze(bulletin_document(bulletin))
    bulletin.pdf_digest = pdf.digest
    phone_image(pdf)  # if it cannot be made now, its first request tries again
    record_event(
        "bulletin_published",
        bulletin,
        from_state=BulletinStatus.DRAFT.value,
        to_state=BulletinStatus.PUBLISHED.value,
        detail=bulletin.month,
        actor=user,
    )
    companies = list(
        db.session.scalars(sa.select(Contractor.id).where(Contractor.active.is_(True)))
    )
    announce(
        EventKind.BULLETIN_PUBLISHED,
        {"month": bulletin.month, "image": pdf.digest},
        path_for("assessments.bulletin", month=bulletin.month),
        users=contractor_users(*companies),
        robots_of=companies,
        about=bulletin,
    )
