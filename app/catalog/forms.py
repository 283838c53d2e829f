from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from stdnum.cn import uscc
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.catalog.models import Area, Frequency, Severity, SiteKind
from app.catalog.rules import EVIDENCE_LABELS

CODE = Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dot, dash or underscore."))
# 统一社会信用代码: 18 characters from digits and capital letters without I, O, S, V, Z.


def optional_int(value):
    """Coerce a select's value to an id, the empty choice to None."""
    return int(value) if value not in (None, "", "None") else None


def populate_except(form, obj, *names) -> None:
    """Copy the form's fields onto obj, leaving out the named ones (handled by the caller)."""
    for name, field in form._fields.items():
        if name not in names and name != "csrf_token":
            field.populate_obj(obj, name)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ServiceLineForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=16), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    area = SelectField(
        _l("Area"),
        coerce=lambda value: Area(value) if value else None,
        choices=[],
        description=_l("The area of the national standard (TC607) the line is totalled under."),
    )
    position = IntegerField(_l("Order"), default=0, validators=[NumberRange(min=0, max=9999)])
    active = BooleanField(_l("In use"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.area.choices = [("", _l("None (a line of the bureau's own)")), *Area.choices()]


class CategoryForm(FlaskForm):
    service_line_id = SelectField(_l("Service line"), coerce=int, choices=[])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    position = IntegerField(_l("Order"), default=0, validators=[NumberRange(min=0, max=9999)])


class CheckPointForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=int, choices=[])
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), CODE])
    title = StringField(_l("What is checked"), validators=[DataRequired(), Length(max=200)])
    standard = TextAreaField(_l("Standard"), validators=[DataRequired(), Length(max=2000)])
    good_practice = TextAreaField(
        _l("What good looks like"), validators=[Optional(), Length(max=2000)]
    )
    severity = SelectField(_l("Severity"), choices=[])
    deduction = DecimalField(
        _l("Points deducted"), places=1, validators=[DataRequired(), NumberRange(min=0, max=100)]
    )
    frequency = SelectField(
        _l("How often"), coerce=Frequency, choices=[], default=Frequency.MONTHLY
    )
    position = IntegerField(_l("Order"), default=0, validators=[NumberRange(min=0, max=9999)])
    active = BooleanField(_l("In use"), default=True)
    reference_upload = FileField(
        _l("Reference photo"),
        description=_l("A photo of the standard met (the 5S desk standard photo), optional."),
        render_kw={"accept": "image/*"},
    )
    remove_reference = BooleanField(_l("Remove the reference photo"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.severity.choices = [(s.value, s.label) for s in Severity]
        self.frequency.choices = Frequency.choices()

    def validate_deduction(self, field):
        if field.data is not None and field.data != round(field.data, 1):
            raise ValidationError(_l("Use at most one decimal place."))


class ContractorForm(FlaskForm):
    name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[DataRequired(), Length(max=50)])
    licence_no = StringField(
        _l("Unified social credit code"),
        validators=[DataRequired(), Length(min=18, max=18)],
        description=_l("The 18 characters on the business licence."),
    )
    contact_person = StringField(_l("Contact person"), validators=[Optional(), Length(max=50)])
    contact_phone = StringField(
        _l("Contact phone"),
        validators=[Optional(), Length(max=32)],
        render_kw={"type": "tel", "inputmode": "tel"},
    )
    contract_start = DateField(_l("Contract starts"), validators=[DataRequired()])
    contract_end = DateField(_l("Contract ends"), validators=[DataRequired()])
    contract_value = DecimalField(
        _l("Contract value (yuan per year)"),
        places=2,
        validators=[DataRequired(), NumberRange(min=0)],
    )
    deposit_share = DecimalField(
        _l("Service deposit (per cent of contract value)"),
        places=2,
        validators=[DataRequired(), NumberRange(min=0, max=100)],
    )
    satisfaction_target = DecimalField(
        _l("Promised satisfaction (%)"),
        places=2,
        validators=[DataRequired(), NumberRange(min=0, max=100)],
    )
    service_lines = MultiCheckboxField(_l("Service lines"), coerce=int, choices=[])
    sites = MultiCheckboxField(
        _l("Sites served"), coerce=int, choices=[], render_kw={"class": "tree"}
    )
    active = BooleanField(_l("Under contract"), default=True)

    def validate_licence_no(self, field):
        field.data = (field.data or "").strip().upper()
        if not uscc.is_valid(field.data):  # its pattern and its check digit
            raise ValidationError(_l("This is not a valid unified social credit code."))

    def validate_contract_end(self, field):
        if self.contract_start.data and field.data and field.data < self.contract_start.data:
            raise ValidationError(_l("The contract cannot end before it starts."))


class StaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=50)])
    post = StringField(_l("Post"), validators=[Optional(), Length(max=50)])
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=32)],
        render_kw={"type": "tel", "inputmode": "tel"},
    )
    active = BooleanField(_l("Employed"), default=True)


CERTIFICATE_KINDS = [
    "上岗证",
    "健康证",
    "保安员证",
    "电工证",
    "焊工证",
    "电梯安全管理员证",
    "消防设施操作员证",
    "特种设备作业人员证",
    "登高作业证",
    "锅炉操作证",
]


class CertificateForm(FlaskForm):
    kind = StringField(
        _l("Certificate"),
        validators=[DataRequired(), Length(max=50)],
        render_kw={"list": "certificate-kinds"},
    )
    number = StringField(_l("Number"), validators=[Optional(), Length(max=50)])
    issued_on = DateField(_l("Issued on"), validators=[DataRequired()])
    expires_on = DateField(_l("Expires on"), validators=[DataRequired()])

    def validate_expires_on(self, field):
        if self.issued_on.data and field.data and field.data < self.issued_on.data:
            raise ValidationError(_l("A certificate cannot expire before it is issued."))


class SiteForm(FlaskForm):
    parent_id = SelectField(_l("Inside"), coerce=int, choices=[])
    kind = SelectField(_l("Kind"), choices=[])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32), CODE],
        description=_l("Printed on the site's QR label."),
    )
    position = IntegerField(_l("Order"), default=0, validators=[NumberRange(min=0, max=9999)])
    latitude = FloatField(
        _l("Latitude"),
        validators=[Optional(), NumberRange(min=-90, max=90)],
        description=_l(
            "Where the place is, to tell photos taken far from it. Type it, or stand "
            "there and use your location."
        ),
    )
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(min=-180, max=180)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, k.label) for k in SiteKind]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if (self.latitude.data is None) != (self.longitude.data is None):
            missing = self.longitude if self.longitude.data is None else self.latitude
            missing.errors = [
                *missing.errors,
                _l("Give both the latitude and the longitude, or neither."),
            ]
            return False
        return valid


class ImportForm(FlaskForm):
    file = FileField(
        _l("Spreadsheet (.xlsx)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx"], _l("Only .xlsx spreadsheets can be imported.")),
        ],
    )


class EvidenceRulesForm(FlaskForm):
    """The managers' rules for evidence photos (catalog/rules.py EvidencePolicy)."""

    presence_radius_m = IntegerField(
        EVIDENCE_LABELS["presence_radius_m"],
        validators=[InputRequired(), NumberRange(min=10, max=10000)],
        description=_l(
            "A photo taken farther than this from its place, plus the accuracy the phone "
            "reported, is marked."
        ),
    )
    exif_gap_hours = IntegerField(
        EVIDENCE_LABELS["exif_gap_hours"],
        validators=[InputRequired(), NumberRange(min=1, max=720)],
        description=_l("A photo taken this long before it was sent is marked."),
    )
    camera_required = BooleanField(
        EVIDENCE_LABELS["camera_required"],
        description=_l("Otherwise the checklist lets inspectors pick photos from the gallery."),
    )
    not_taken_now_minutes = IntegerField(
        EVIDENCE_LABELS["not_taken_now_minutes"],
        validators=[InputRequired(), NumberRange(min=1, max=1440)],
        description=_l("When the camera is required, an older photo is marked as not taken now."),
    )
