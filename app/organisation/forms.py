from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

SHA256 = Regexp(r"^[0-9a-f]{64}$")


class WorkbookUploadForm(FlaskForm):
    file = FileField(
        _l("Organisation workbook (.xlsx)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx"], _l("Only .xlsx spreadsheets can be imported.")),
        ],
        description=_l("Nothing is written yet: you will see what would change first."),
        render_kw={
            "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
    )


class ConfirmImportForm(FlaskForm):
    """The dry run as shown: the workbook's SHA-256 and the plan's fingerprint."""

    workbook = HiddenField(validators=[DataRequired(), SHA256])
    plan = HiddenField(validators=[DataRequired(), SHA256])
