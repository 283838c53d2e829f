from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from app.auth.access import belongs_to_a_contractor, keeps_every_account
from app.auth.models import Role

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


class UserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(min=2, max=64),
            Regexp(
                r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dot, dash or underscore.")
            ),
        ],
        render_kw={"autocapitalize": "none"},
    )
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    role = SelectField(_l("Role"), choices=[])
    contractor_id = SelectField(_l("Contractor (for contractor users)"), coerce=int, choices=[])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    email = EmailField(
        _l("E-mail address"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=255)],
        description=_l("For notifications by e-mail; the user can change it too."),
    )
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, contractors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(r.value, r.label) for r in Role]
        self.contractor_id.choices = [(0, "—")] + [(c.id, c.name) for c in contractors]

    def validate_contractor_id(self, field):
        if belongs_to_a_contractor(self.role.data) and not field.data:
            raise ValidationError(_l("A contractor user must belong to a contractor."))
        if not belongs_to_a_contractor(self.role.data) and field.data:
            raise ValidationError(_l("Only contractor users belong to a contractor."))


def new_user_form(keeper, contractors) -> UserForm:
    """The form for a new account: it is active, and its person sets the password from the
    invitation. A contractor's administrator adds its own company's users only, so the role
    and the company are not asked."""
    form = UserForm(contractors=contractors)
    del form.active
    if not keeps_every_account(keeper):
        del form.role
        del form.contractor_id
    return form
