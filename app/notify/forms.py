from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import URL, DataRequired, Email, Length, Optional

from app.notify.channels import robot_host_allowed
from app.notify.models import EMAIL_CHOICE_KINDS, ROBOT_SERVICES, Channel


class RobotForm(FlaskForm):
    service = SelectField(_l("Service"), default="wecom")
    owner = SelectField(_l("Whose group"), coerce=int)
    name = StringField(_l("Group name"), validators=[DataRequired(), Length(max=100)])
    webhook = PasswordField(
        _l("Webhook address"),
        validators=[DataRequired(), URL(require_tld=False), Length(max=500)],
        description=_l("Copied from the robot's settings in the group; kept secret."),
    )
    secret = PasswordField(
        _l("Signing secret (DingTalk 加签, Feishu 签名校验), if the robot has one"),
        validators=[Optional(), Length(max=200)],
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.service.choices = [(s.value, s.label) for s in ROBOT_SERVICES]
        self.owner.choices = list(owners)

    def validate(self, extra_validators=None) -> bool:
        """The fields, then (once they are right) whether the address is the service's own."""
        if not super().validate(extra_validators):
            return False
        if not robot_host_allowed(Channel(self.service.data), self.webhook.data):
            self.webhook.errors.append(
                _l("Use the address the service gives (https, its own host).")
            )
            return False
        return True


class EmailForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"), validators=[Optional(), Email(check_deliverability=False)]
    )
    # ticked kinds, by value; the page draws the boxes, and a value no kind has is ignored
    email_kinds = SelectMultipleField(
        choices=[kind.value for kind in EMAIL_CHOICE_KINDS], validate_choice=False
    )
