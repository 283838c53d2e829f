from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.feedback.models import ComplaintChannel
from app.feedback.surveys import MAX_CARDS


class ComplaintForm(FlaskForm):
    """The complaint itself: the public form and the hotline log share it."""

    subject = StringField(
        _l("What is wrong, in a few words"), validators=[DataRequired(), Length(max=100)]
    )
    description = TextAreaField(_l("What happened"), validators=[DataRequired(), Length(max=2000)])
    location = StringField(
        _l("Where (building, floor, room)"), validators=[Optional(), Length(max=200)]
    )
    contact = StringField(
        _l("Phone or e-mail, if you want us to call back (optional)"),
        validators=[Optional(), Length(max=100)],
    )


class PublicComplaintForm(ComplaintForm):
    photos = MultipleFileField(_l("Photos (optional)"))
    stamp = HiddenField()
    # left empty by people; bots fill every field they find
    website = StringField(_l("Leave this field empty"), validators=[Optional()])


class HotlineComplaintForm(ComplaintForm):
    channel = SelectField(_l("Received by"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel.choices = [
            (c.value, c.label) for c in ComplaintChannel if c != ComplaintChannel.ONLINE
        ]


class EvidenceForm(FlaskForm):
    evidence = TextAreaField(
        _l("What the investigation found"), validators=[DataRequired(), Length(max=2000)]
    )
    photo = MultipleFileField(_l("Photos (optional)"))


class AssignForm(FlaskForm):
    contractor = SelectField(_l("Contractor responsible"), coerce=int)
    service_line = SelectField(_l("Service line"), coerce=int)
    site = SelectField(_l("Place"), coerce=int)


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l(
            "The complainant will see this reason on the page where they follow the complaint."
        ),
    )


QUARTER = Regexp(r"^\d{4}-Q[1-4]$", message=_l("Write the quarter as 2026-Q4."))


class SurveyForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)])
    quarter = StringField(_l("Quarter"), validators=[DataRequired(), QUARTER])
    opens_on = DateField(_l("Opens on"), validators=[DataRequired()])
    closes_on = DateField(_l("Closes on"), validators=[DataRequired()])

    def validate_closes_on(self, field):
        if self.opens_on.data and field.data and field.data < self.opens_on.data:
            raise ValidationError(_l("The survey cannot close before it opens."))


class ApplyForm(FlaskForm):
    month = SelectField(_l("Month of the assessment"))


class SurveyAccessForm(FlaskForm):
    cards_only = RadioField(_l("Who may answer"), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cards_only.choices = [
            ("no", _l("Anyone with the link or QR code, once per browser")),
            ("yes", _l("Only holders of a printed answer card, once per card")),
        ]


def survey_answer_form(contractors) -> FlaskForm:
    """The public questionnaire: a rating per service (one left out or not understood is
    unrated), a comment, and the stamp and trap field that keep bots out."""

    class SurveyAnswerForm(FlaskForm):
        comment = TextAreaField()
        stamp = HiddenField()
        website = StringField()

    for contractor in contractors:
        setattr(SurveyAnswerForm, f"rating-{contractor.id}", StringField())
    return SurveyAnswerForm()


class SurveyCardsForm(FlaskForm):
    count = IntegerField(
        _l("Number of answer cards"),
        validators=[DataRequired(), NumberRange(min=1, max=MAX_CARDS)],
        description=_l(
            "Hand out one card per person. The codes are printed once and cannot be shown again."
        ),
    )
