from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    ValidationError,
)
from wtforms.validators import AnyOf, InputRequired, NumberRange

from app.assessments.history import POLICY_LABELS, TIER_WEIGHT_LABELS
from app.assessments.models import (
    BAND_RULES,
    BANDS_PER_RULE,
    INTEGER_RULES,
    POINT_RULES,
    TIERS,
    WEIGHT_RULES,
    BonusKind,
)
from app.catalog.models import Contractor, ServiceLine
from app.core.extensions import db
from app.web.bounds import db_int

MAX_RESPONDENTS = 100_000  # a questionnaire of the largest campus, with room to spare


class TierWeightsForm(Form):
    """One weight per tier (fields added below from TIERS), posted as weight-<tier>."""


for _tier in TIERS:
    setattr(
        TierWeightsForm,
        _tier,
        DecimalField(
            TIER_WEIGHT_LABELS[_tier],
            [InputRequired(), NumberRange(0, 5, _l("Tier weights are numbers from 0 to 5."))],
            places=None,
            render_kw={"step": "0.1"},
        ),
    )


class BandForm(Form):
    minimum = DecimalField(
        _l("from"),
        [
            InputRequired(),
            NumberRange(0, 100, _l("Each band needs a minimum (0 to 100) and a percentage.")),
        ],
        places=None,
        render_kw={"step": "0.1"},
    )
    percent = DecimalField(
        _l("reward, per cent"),
        [
            InputRequired(),
            NumberRange(-100, 100, _l("Each band needs a minimum (0 to 100) and a percentage.")),
        ],
        places=None,
        render_kw={"step": "0.5"},
    )


def _bands_from_the_highest(form, field):
    minimums = [band.minimum.data for band in field if band.minimum.data is not None]
    if minimums != sorted(minimums, reverse=True):
        raise ValidationError(_l("List the bands from the highest minimum down."))


class PolicyForm(FlaskForm):
    """The managers' assessment rules (fields for the points added below from POINT_RULES)."""

    weight = FormField(TierWeightsForm)
    praise_top = IntegerField(
        POLICY_LABELS["praise_top"],
        [InputRequired(), NumberRange(0, 10, _l("Praise goes to 0 to 10 contractors."))],
    )
    repeat_window_days = IntegerField(
        POLICY_LABELS["repeat_window_days"],
        [InputRequired(), NumberRange(1, 365, _l("A repeat is looked for within 1 to 365 days."))],
    )
    repeat_weight = DecimalField(
        POLICY_LABELS["repeat_weight"],
        [InputRequired(), NumberRange(0, 5, _l("A repeat's weight is a number from 0 to 5."))],
        places=None,
        render_kw={"step": "0.1"},
    )


for _name in POINT_RULES:
    setattr(
        PolicyForm,
        _name,
        DecimalField(
            POLICY_LABELS[_name],
            [InputRequired(), NumberRange(0, 100, _l("Points are numbers from 0 to 100."))],
            places=None,
            render_kw={"step": "0.5"},
        ),
    )
for _name in BAND_RULES:
    setattr(
        PolicyForm,
        _name,
        FieldList(
            FormField(BandForm),
            POLICY_LABELS[_name],
            [_bands_from_the_highest],
            min_entries=BANDS_PER_RULE,
            max_entries=BANDS_PER_RULE,
        ),
    )


def policy_form(policy) -> PolicyForm:
    """The form filled from the rules as they stand (or from what was posted)."""
    data = {
        "weight": policy.tier_weights,
        **{
            name: getattr(policy, name)
            for name in (*POINT_RULES, *INTEGER_RULES, *WEIGHT_RULES, *BAND_RULES)
        },
    }
    return PolicyForm(data=data)


def apply_policy_form(form: PolicyForm, policy) -> None:
    policy.tier_weights = {tier: str(value) for tier, value in form.weight.data.items()}
    for name in (*POINT_RULES, *INTEGER_RULES, *WEIGHT_RULES):
        setattr(policy, name, form[name].data)
    for name in BAND_RULES:
        bands = [
            {"minimum": str(b["minimum"]), "percent": str(b["percent"])} for b in form[name].data
        ]
        setattr(policy, name, bands)


def _named(model, text: str | None):
    """The record a field names by its id, or None."""
    try:
        return db.session.get(model, db_int(text or ""))
    except ValueError:
        return None


def _decimal(text: str | None, low: Decimal, high: Decimal) -> Decimal | None:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() and low <= value <= high else None


class BonusForm(FlaskForm):
    """Bonus points for one of a contractor's lines; the month page draws the fields, and a
    refusal is one message (in form_errors) saying what a bonus needs. Once valid, the form
    carries the records and numbers it names."""

    contractor_line = StringField()  # "<contractor id>:<service line id>"
    kind = StringField()
    points = StringField()
    reason = StringField()

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        contractor_id, _sep, line_id = (self.contractor_line.data or "").partition(":")
        self.contractor = _named(Contractor, contractor_id)
        self.line = _named(ServiceLine, line_id)
        self.points_given = _decimal(self.points.data, Decimal("0.1"), Decimal("20"))
        self.reason_given = (self.reason.data or "").strip()
        try:
            self.kind_given = BonusKind(self.kind.data or "")
        except ValueError:
            self.kind_given = None
        if not (
            self.contractor
            and self.line
            and self.line in self.contractor.service_lines
            and self.points_given
            and self.reason_given
            and self.kind_given
        ):
            self.form_errors.append(
                _(
                    "A bonus needs a contractor, one of its lines, the kind, 0.1 to 20 points "
                    "and a reason."
                )
            )
            return False
        return True


class SatisfactionForm(FlaskForm):
    """A contractor's satisfaction rate for a month; the month page draws the fields, and a
    refusal is one message (in form_errors). Once valid, the form carries what it names."""

    contractor_id = StringField()
    rate = StringField()
    respondents = StringField()

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        try:
            self.respondents_given = int(self.respondents.data or "")
        except ValueError:
            self.respondents_given = None
        self.contractor = _named(Contractor, self.contractor_id.data)
        self.rate_given = _decimal(self.rate.data, Decimal(0), Decimal(100))
        if self.respondents_given is None or not 0 <= self.respondents_given <= MAX_RESPONDENTS:
            self.form_errors.append(
                _(
                    "The number of respondents must be a whole number from 0 to %(max)d.",
                    max=MAX_RESPONDENTS,
                )
            )
        elif self.contractor is None or self.rate_given is None:
            self.form_errors.append(_("Enter a rate from 0 to 100 and the number of respondents."))
        return not self.form_errors


class BulletinForm(FlaskForm):
    """A bulletin's prose; the bulletin page draws the fields."""

    summary = StringField()
    praise = StringField()
    criticism = StringField()
    measures = StringField()


RESULTS_PAGE_ACTIONS = ("on", "off", "replace")


class ResultsPageForm(FlaskForm):
    """One button of the published results' settings: turn the page on or off, or replace
    its link."""

    action = HiddenField(validators=[InputRequired(), AnyOf(RESULTS_PAGE_ACTIONS)])
