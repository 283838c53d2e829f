from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, FieldList, Form, FormField, IntegerField, ValidationError
from wtforms.validators import InputRequired, NumberRange

from app.assessments.history import POLICY_LABELS, TIER_WEIGHT_LABELS
from app.assessments.models import (
    BAND_RULES,
    BANDS_PER_RULE,
    INTEGER_RULES,
    POINT_RULES,
    TIERS,
    WEIGHT_RULES,
)


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
