"""The guided start: on an install not yet in use, the administrator's home lists the steps
to go live, each marked done or not from what the database holds, each a tap from its page."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.catalog.models import CheckPoint, Contractor, Site
from app.catalog.rules import AssessmentPolicy
from app.core.extensions import db
from app.inspections.models import Inspection
from app.notify.models import Robot
from app.plans.models import InspectionPlan


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    hint: str
    endpoint: str
    done: bool


# (key, title, what it means, the page where it is done)
STEPS = (
    (
        "standards",
        _l("Load the standards library"),
        _l("The check points inspections use: ours (flask load-standards) or your own."),
        "catalog.standards_import",
    ),
    (
        "organisation",
        _l("Import the organisation workbook"),
        _l("Places, contractors, staff with their certificates, and accounts, in one workbook."),
        "organisation.import_page",
    ),
    (
        "policy",
        _l("Review the assessment policy"),
        _l("Tier weights, deductions, bands and the bulletin's rules; save them once."),
        "assessments.edit_policy",
    ),
    (
        "robots",
        _l("Set up notification robots"),
        _l("The WeCom, DingTalk or Feishu groups that hear of notices and deadlines."),
        "notify.robots",
    ),
    (
        "plan",
        _l("Create the first inspection plan"),
        _l("A patrol route and who walks it; the first inspection follows."),
        "plans.new",
    ),
)


def going_live_steps() -> list[Step] | None:
    """The steps, or None once the install is in use (an inspection is recorded) or every
    step is done. One query, whatever the size of the database."""
    exists = lambda model, *where: sa.exists().where(*where).select_from(model)  # noqa: E731
    state = db.session.execute(
        sa.select(
            exists(CheckPoint),
            sa.and_(exists(Site), exists(Contractor)),
            exists(AssessmentPolicy),
            exists(Robot, Robot.active.is_(True)),
            exists(InspectionPlan),
            exists(Inspection),
        )
    ).one()
    *done, in_use = state
    if in_use or all(done):
        return None
    return [
        Step(key, str(title), str(hint), endpoint, bool(flag))
        for (key, title, hint, endpoint), flag in zip(STEPS, done, strict=True)
    ]
