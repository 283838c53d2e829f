from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.catalog.models import ServiceLine, Severity
from app.core.evidence import Position
from app.notices.deadlines import MAX_HOURS
from app.notices.models import ReceiptWay
from app.web.bounds import INT_MAX

UNSIGNED_WAYS = (ReceiptWay.REFUSED, ReceiptWay.UNREACHABLE)


class DeadlineForm(FlaskForm):
    deadline = DateTimeLocalField(
        _l("New deadline"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    reason = TextAreaField(
        _l("Reason for the change"), validators=[DataRequired(), Length(max=2000)]
    )


class AddFindingForm(FlaskForm):
    """Another finding of the contractor onto a draft (the select lists those not yet on one)."""

    finding_id = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=INT_MAX)])


class FixForm(FlaskForm):
    note = TextAreaField(_l("What was done"), validators=[DataRequired(), Length(max=2000)])
    photos = MultipleFileField(
        _l("Photos of the fix"), render_kw={"accept": "image/*", "capture": "environment"}
    )
    # where the phone was when it sent the fix (location.js fills them); what cannot be read
    # as a place is left out, never refused: a fix is reported with or without a location
    latitude = HiddenField()
    longitude = HiddenField()
    accuracy = HiddenField()

    def position(self) -> Position | None:
        return Position.read(self.latitude.data, self.longitude.data, self.accuracy.data)


class AcknowledgeForm(FlaskForm):
    # the drawn signature as a PNG data URL (signature.js); empty when nothing was drawn
    signature = HiddenField(validators=[Length(max=2_000_000)])


class UnsignedServiceForm(FlaskForm):
    way = RadioField(_l("What happened"), choices=[], validators=[DataRequired()])
    witness = StringField(
        _l("Witness (name and unit)"), validators=[DataRequired(), Length(max=200)]
    )
    photo = FileField(
        _l("Photo taken on the spot"),
        validators=[FileRequired()],
        render_kw={"accept": "image/*", "capture": "environment"},
    )
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.way.choices = [(way.value, way.label) for way in UNSIGNED_WAYS]


class VerifyForm(FlaskForm):
    decision = RadioField(_l("Verdict"), choices=[], validators=[DataRequired()])
    reason = TextAreaField(_l("Reason (needed to reject)"), validators=[Length(max=2000)])
    new_deadline = DateTimeLocalField(
        _l("New deadline (needed to reject)"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision.choices = [
            ("accept", _l("Accept: fixed")),
            ("reject", _l("Reject: not fixed")),
        ]


class PolicyForm(FlaskForm):
    overdue_warning_days = IntegerField(
        _l("Days overdue before a written exit warning"),
        validators=[DataRequired(), NumberRange(min=1, max=365)],
    )
    warning_after_rejections = IntegerField(
        _l("Rejected fixes of one finding before a written exit warning"),
        validators=[DataRequired(), NumberRange(min=1, max=10)],
    )
    reminder_hours = IntegerField(
        _l("Hours before a deadline that the contractor is reminded"),
        validators=[DataRequired(), NumberRange(min=1, max=720)],
    )


def hours_field_name(severity: Severity, line: ServiceLine | None) -> str:
    return f"hours-{severity.value}-{line.id if line else 0}"


def deadline_rules_form(lines: list[ServiceLine]) -> type[PolicyForm]:
    """The rules page: the policy's fields, and the hours to fix each severity bureau-wide
    (required) and on each service line (empty: the bureau-wide hours apply)."""

    class DeadlineRulesForm(PolicyForm):
        pass

    for line in [None, *lines]:
        for severity in Severity:
            where = line.name if line else _l("all lines")
            in_range = NumberRange(
                1,
                MAX_HOURS,
                _l(
                    "%(severity)s, %(line)s: hours must be 1 to 8760.",
                    severity=Severity.LABELS[severity],
                    line=where,
                ),
            )
            needed = (
                InputRequired(_l("Every severity needs a bureau-wide deadline."))
                if line is None
                else Optional()
            )
            field = IntegerField(Severity.LABELS[severity], [needed, in_range])
            setattr(DeadlineRulesForm, hours_field_name(severity, line), field)
    return DeadlineRulesForm
