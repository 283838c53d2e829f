from flask_wtf import FlaskForm
from wtforms import StringField


class LanguageForm(FlaskForm):
    """The footer's language switch on every page; a language not offered changes nothing."""

    lang = StringField()
