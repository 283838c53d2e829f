from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from app.auth.access import CONTRACTORS
from app.auth.models import Role

MIN_PASSWORD = 8


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


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
        if self.role.data in CONTRACTORS and not field.data:
            raise ValidationError(_l("A contractor user must belong to a contractor."))
        if self.role.data not in CONTRACTORS and field.data:
            raise ValidationError(_l("Only contractor users belong to a contractor."))


def new_user_form(keeper, contractors) -> UserForm:
    """The form for a new account: it is active, and its person sets the password from the
    invitation. A contractor's administrator adds its own company's users only, so the role
    and the company are not asked."""
    form = UserForm(contractors=contractors)
    del form.active
    if keeper.role != Role.ADMIN:
        del form.role
        del form.contractor_id
    return form


def new_password_field() -> PasswordField:
    return PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least 8 characters."),
    )


def repeated_password_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", _l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new = new_password_field()
    confirm = repeated_password_field()


class InvitationForm(FlaskForm):
    """The person's own password, set from an invitation."""

    new = new_password_field()
    confirm = repeated_password_field()
