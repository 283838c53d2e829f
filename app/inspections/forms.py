from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.catalog.forms import MultiCheckboxField
from app.inspections.models import Party, Schedule, Tier
from app.web.bounds import INT_MAX


class StartForm(FlaskForm):
    """The last of the three taps: what was chosen travels in hidden fields."""

    line = IntegerField(validators=[Optional()], widget=HiddenField.widget)
    contractor = IntegerField(validators=[Optional()], widget=HiddenField.widget)
    site = IntegerField(validators=[DataRequired()], widget=HiddenField.widget)
    block = StringField(validators=[Optional()], widget=HiddenField.widget)
    tier = SelectField(_l("Tier"), default="ad_hoc")
    schedule = SelectField(_l("Scheduled or spot"), default="spot")
    party = SelectField(_l("Internal or external"), default="internal")
    co_inspectors = MultiCheckboxField(_l("Joint check with"), coerce=int, choices=[])

    def __init__(self, *args, inspectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tier.choices = Tier.choices()
        self.schedule.choices = Schedule.choices()
        self.party.choices = Party.choices()
        self.co_inspectors.choices = [(u.id, u.display_name) for u in inspectors]


class SelfCheckStartForm(FlaskForm):
    """The place a contractor's user taps to start a self-check."""

    site = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=INT_MAX)])


class SubmitForm(FlaskForm):
    summary = TextAreaField(_l("Summary (optional)"), validators=[Optional(), Length(max=2000)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why reopen it"), validators=[DataRequired(), Length(max=2000)])


class DocumentsForm(FlaskForm):
    """An external check's documents: the checker's report or record."""

    document = MultipleFileField(_l("The checker's report or record (PDF, or a photo of it)"))
