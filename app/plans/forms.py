from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from app.catalog.forms import MultiCheckboxField, optional_int
from app.catalog.models import Frequency
from app.core.evidence import Position
from app.inspections.models import Party, Scope, Tier
from app.plans.models import PlanActivity
from app.plans.proposals import RECURRENCE_OF, frequency_has_points
from app.plans.recurrence import HALF_MONTH, MONTHS_PER_PERIOD, Recurrence
from app.plans.tracking import Visit

WEEKDAYS = [
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
]


def ask_what_the_recurrence_needs(form, recurrence: Recurrence | None) -> bool:
    """Put an error on each of the form's weekday, day of month and month of the period
    that `recurrence` needs and lacks (unless the field already has one of its own, such as
    a day past 31); whether none was missing."""
    missing = {}
    if recurrence == Recurrence.WEEKLY and form.weekday.data is None:
        missing[form.weekday] = _l("Choose the weekday.")
    if recurrence == Recurrence.HALF_MONTHLY and (form.day_of_month.data or 0) not in range(
        1, HALF_MONTH + 1
    ):
        missing[form.day_of_month] = _l(
            "Give a day from 1 to 15: the plan falls due on it and fifteen days later."
        )
    months = MONTHS_PER_PERIOD.get(recurrence)
    if months and not form.day_of_month.data:
        missing[form.day_of_month] = _l("Give the day of the month.")
    if months and months > 1 and (form.period_month.data or 0) not in range(1, months + 1):
        missing[form.period_month] = _l("Give a month from 1 to %(n)s.", n=months)
    for field, message in missing.items():
        if not field.errors:
            field.errors.append(message)
    return not missing


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
        _l("Day of the month (twice a month, monthly, quarterly, half-yearly)"),
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
    frequency = SelectField(
        _l("Check points checked"),
        default="",
        description=_l("A plan can check only the points checked at one frequency."),
    )
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
        self.frequency.choices = [("", _l("All check points"))] + Frequency.choices()

    def _recurrence(self) -> Recurrence | None:
        try:
            return Recurrence(self.recurrence.data)
        except ValueError:
            return None

    def validate(self, extra_validators=None) -> bool:
        """Also ask for what the chosen recurrence needs (empty fields skip their own checks),
        and, the rest being right, that the chosen frequency leaves points to check."""
        valid = super().validate(extra_validators)
        if valid and not self._frequency_applies():
            self.frequency.errors.append(
                _l(
                    "No check points of the plan's line or contractor are checked %(frequency)s.",
                    frequency=Frequency(self.frequency.data).label,
                )
            )
            valid = False
        return ask_what_the_recurrence_needs(self, self._recurrence()) and valid

    @property
    def chosen_frequency(self) -> Frequency | None:
        """The frequency the plan's points are narrowed to (none for a survey plan)."""
        return (
            Frequency(self.frequency.data) if self.frequency.data and not self.is_survey else None
        )

    def _frequency_applies(self) -> bool:
        frequency = self.chosen_frequency
        if frequency is None:
            return True
        scope = Scope(self.scope.data)
        return frequency_has_points(
            frequency,
            scope,
            line_id=self.service_line.data if scope == Scope.STRIP else None,
            contractor_id=self.contractor.data if scope == Scope.BLOCK else None,
            site_ids=self.sites.data,
        )

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
    # Sent by the button tapped, one per visit due at the place: "<plan id>:<due date>".
    visit = StringField()

    def position(self) -> Position | None:
        return Position.read(self.latitude.data, self.longitude.data, self.accuracy.data)

    def chosen(self, due_here: list[Visit]) -> Visit | None:
        """The visit of `due_here` the button named; without a name, the only one due."""
        if not self.visit.data:
            return due_here[0] if len(due_here) == 1 else None
        return next((visit for visit in due_here if visit_key(visit) == self.visit.data), None)


def visit_key(visit: Visit) -> str:
    """What a scan page's button sends to start this visit."""
    return f"{visit.plan.id}:{visit.due.isoformat()}"


class ProposedPlanForm(Form):
    """One plan proposed from a frequency of the line: kept or left out, and adjusted."""

    frequency = HiddenField()
    chosen = BooleanField(_l("Create this plan"), default=True)
    name = StringField(
        _l("Name"), validators=[Length(max=100)], filters=[lambda value: (value or "").strip()]
    )
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    tier = SelectField(_l("Tier"))
    weekday = SelectField(_l("Weekday"), coerce=optional_int, validators=[Optional()])
    day_of_month = IntegerField(
        _l("Day of the month"),
        validators=[
            Optional(),
            NumberRange(min=1, max=31, message=_l("Give a day of the month from 1 to 31.")),
        ],
    )
    period_month = IntegerField(
        _l("Month of the quarter"), validators=[Optional(), NumberRange(min=1, max=3)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tier.choices = Tier.choices()
        self.weekday.choices = [("", "—")] + [(str(n), day) for n, day in enumerate(WEEKDAYS)]

    def validate(self, extra_validators=None) -> bool:
        """A plan left out is not checked; a chosen one needs its name, start and days."""
        if not self.chosen.data:
            return True
        valid = super().validate(extra_validators)
        for field, message in (
            (self.name, _l("Give the plan a name.")),
            (self.starts_on, _l("Give the day the plan starts.")),
        ):
            if not field.data and not field.errors:
                field.errors.append(message)
                valid = False
        return ask_what_the_recurrence_needs(self, self.recurrence) and valid

    @property
    def recurrence(self) -> Recurrence | None:
        try:
            return RECURRENCE_OF[Frequency(self.frequency.data)]
        except ValueError:
            return None


class FrequencyPlansForm(FlaskForm):
    """Plans made from the frequencies of a line's check points: first the line, the places
    and the team, then each proposed plan, reviewed, before anything is saved."""

    service_line = SelectField(_l("Service line"), coerce=optional_int)
    sites = MultiCheckboxField(
        _l("Places on the route"), coerce=int, choices=[], render_kw={"class": "tree"}
    )
    starts_on = DateField(_l("Starts on"), validators=[DataRequired()])
    party = SelectField(_l("Internal or external"))
    inspectors = MultiCheckboxField(_l("Inspectors"), coerce=int, choices=[])
    plans = FieldList(FormField(ProposedPlanForm))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.party.choices = Party.choices()

    def validate_service_line(self, field):
        if not field.data:
            raise ValidationError(_l("Choose the service line."))

    def validate_sites(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one place."))

    def validate_inspectors(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one inspector."))

    def choice_refused(self) -> bool:
        """Whether the line, the route, the start or the team was refused (the review page
        carries them hidden, so they are put right on the first page)."""
        chosen = (self.service_line, self.sites, self.starts_on, self.party, self.inspectors)
        return any(field.errors for field in chosen)

    def validate(self, extra_validators=None) -> bool:
        """On the review page, also ask that at least one proposed plan be kept."""
        valid = super().validate(extra_validators)
        if self.plans.entries and not any(entry.chosen.data for entry in self.plans):
            self.form_errors.append(_l("Choose at least one plan to create."))
            return False
        return valid
