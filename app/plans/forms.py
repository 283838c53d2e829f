from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.catalog.forms import MultiCheckboxField, optional_int
from app.core.evidence import Position
from app.inspections.models import Party, Scope, Tier
from app.plans.models import PlanActivity
from app.plans.recurrence import MONTHS_PER_PERIOD, Recurrence

WEEKDAYS = [
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
]


class PlanForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    activity = SelectField(
        _l("What is done"),
        default="inspection",
        description=_l(
            "A survey plan has no route: each time it falls due, one of its team opens "
            "the period's opinion survey."
        ),
    )
    recurrence = SelectField(_l("How often"), default="daily")
    weekday = SelectField(
        _l("Weekday (weekly plans)"), coerce=optional_int, validators=[Optional()]
    )
    day_of_month = IntegerField(
        _l("Day of the month (monthly, quarterly, half-yearly)"),
        validators=[Optional(), NumberRange(min=1, max=31)],
        description=_l("A day past the month's end falls on its last day."),
    )
    period_month = IntegerField(
        _l("Month of the quarter or half year"),
        validators=[Optional(), NumberRange(min=1, max=6)],
        description=_l("1 for the first month of each quarter or half year."),
    )
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    tier = SelectField(_l("Tier (inspections)"))
    scope = SelectField(_l("Kind (inspections)"))
    party = SelectField(_l("Internal or external"))
    service_line = SelectField(_l("Service line (strip checks)"), coerce=optional_int)
    contractor = SelectField(_l("Contractor (block checks of one contractor)"), coerce=optional_int)
    sites = MultiCheckboxField(
        _l("Places on the route"), coerce=int, choices=[], render_kw={"class": "tree"}
    )
    inspectors = MultiCheckboxField(_l("Inspectors"), coerce=int, choices=[])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity.choices = PlanActivity.choices()
        self.recurrence.choices = Recurrence.choices()
        self.weekday.choices = [("", "—")] + [(str(n), day) for n, day in enumerate(WEEKDAYS)]
        self.tier.choices = Tier.choices()
        self.scope.choices = Scope.choices()
        self.party.choices = Party.choices()

    def _recurrence(self) -> Recurrence | None:
        try:
            return Recurrence(self.recurrence.data)
        except ValueError:
            return None

    def validate(self, extra_validators=None) -> bool:
        """Also ask for what the chosen recurrence needs (empty fields skip their own checks)."""
        valid = super().validate(extra_validators)
        recurrence = self._recurrence()
        if recurrence == Recurrence.WEEKLY and self.weekday.data is None:
            self.weekday.errors.append(_l("Choose the weekday."))
            valid = False
        months = MONTHS_PER_PERIOD.get(recurrence)
        if months and not self.day_of_month.data:
            self.day_of_month.errors.append(_l("Give the day of the month."))
            valid = False
        if months and months > 1 and (self.period_month.data or 0) not in range(1, months + 1):
            self.period_month.errors.append(_l("Give a month from 1 to %(n)s.", n=months))
            valid = False
        return valid

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The plan cannot end before it starts."))

    @property
    def is_survey(self) -> bool:
        return self.activity.data == PlanActivity.SURVEY.value

    def validate_service_line(self, field):
        if not self.is_survey and self.scope.data == Scope.STRIP.value and not field.data:
            raise ValidationError(_l("A strip check needs a service line."))

    def validate_sites(self, field):
        if not self.is_survey and not field.data:
            raise ValidationError(_l("Choose at least one place."))

    def validate_inspectors(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one inspector."))


class StopPointsForm(FlaskForm):
    check_points = MultiCheckboxField(
        _l("Check points asked at this place"),
        coerce=int,
        choices=[],
        description=_l("Choose none to ask every check point of the plan's line or contractor."),
    )


class MoveStopForm(FlaskForm):
    """Move a stop of the route one place earlier ("up") or later."""

    direction = StringField()


class ScanForm(FlaskForm):
    """Start or continue the patrol at a scanned place. location.js fills where the phone is;
    a start without it (no script, permission refused, no fix in time) is never held up."""

    latitude = HiddenField(render_kw={"data-location": "latitude"})
    longitude = HiddenField(render_kw={"data-location": "longitude"})
    accuracy = HiddenField(render_kw={"data-location": "accuracy"})

    def position(self) -> Position | None:
        return Position.read(self.latitude.data, self.longitude.data, self.accuracy.data)
