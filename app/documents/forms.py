from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length, Optional


class VerifyForm(FlaskForm):
    code = StringField(
        _l("Verification code printed on the document"),
        validators=[Optional(), Length(max=40)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    pdf = FileField(_l("Or the PDF file itself"), render_kw={"accept": "application/pdf"})

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.code.data or "").strip() and not self.pdf.data:
            self.code.errors.append(_l("Give the code, or choose the PDF."))
            return False
        return True
