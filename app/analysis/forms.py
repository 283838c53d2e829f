from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.core.timeutil import local_today


class MeetingForm(FlaskForm):
    held_on = DateField(_l("Held on"), validators=[DataRequired()], default=local_today)
    measures = TextAreaField(
        _l("Measures agreed"),
        validators=[
            DataRequired(_l("Write down the measures agreed at the meeting.")),
            Length(max=4000),
        ],
        render_kw={"rows": 5},
    )
