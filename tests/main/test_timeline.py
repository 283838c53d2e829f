"""Every timeline reads as words in both locales: no state code, key=value or field name."""

import re

import pytest
from flask_babel import force_locale

from app import timeline
from app.core.audit import ACTIONS, AuditEvent, action_label
from app.core.extensions import LabelledEnum
from app.timeline import DETAILS, ON_OFF, SAYS_ITS_STATE, STATES_BY_OBJECT, event_facts

# What each action's writer stores (object, from state, to state, detail), as the code writes
# it; every action in app.audit.ACTIONS needs one.
WRITTEN = {
    "inspection_started": ("inspections", None, "draft", ""),
    "inspection_submitted": ("inspections", "draft", "submitted", "findings=2"),
    "inspection_reopened": ("inspections", "submitted", "draft", "漏记一项"),
    "qr_scanned": ("inspections", None, None, "大堂"),
    "plan_saved": ("plans", None, None, "每日巡查"),
    "plan_stop_saved": ("plans", None, None, "大堂: *"),
    "complaint_filed": ("complaints", None, "received", ""),
    "complaint_accepted": ("complaints", "received", "accepted", ""),
    "complaint_investigating": ("complaints", "accepted", "investigating", ""),
    "complaint_assigned": ("complaints", None, None, "安泰 · 保洁服务"),
    "complaint_upheld": ("complaints", "investigating", "upheld", ""),
    "complaint_dismissed": ("complaints", "investigating", "dismissed", "不属实"),
    "notice_drafted": ("notices", None, "draft", "findings=1"),
    "notice_deadline_changed": ("notices", None, "draft", "节假日"),
    "notice_issued": ("notices", "draft", "issued", "整改〔2026〕第0001号"),
    "notice_acknowledged": ("notices", "issued", "acknowledged", "signed"),
    "notice_refused": ("notices", None, "acknowledged", "物业办 李明"),
    "notice_unreachable": ("notices", None, "acknowledged", "物业办 李明"),
    "fix_reported": ("notices", None, "acknowledged", "地面排水"),
    "fix_accepted": ("notices", None, "acknowledged", "地面排水"),
    "fix_rejected": ("notices", None, "acknowledged", "地面排水：仍有积水"),
    "notice_closed": ("notices", "acknowledged", "closed", ""),
    "notice_overdue": ("notices", None, "issued", "2026-11-30 17:00"),
    "notice_opened": ("notices", None, None, ""),
    "message_delivered": ("notices", None, None, "wecom 安泰物业群"),
    "exit_warning": ("notices", None, "acknowledged", "退出警告〔2026〕第001号 rejected_twice"),
    "bulletin_published": ("bulletins", "draft", "published", ""),
    "results_page_opened": ("results_page", None, None, ""),
    "results_page_closed": ("results_page", None, None, ""),
    "results_link_replaced": ("results_page", None, None, ""),
    "bonus_added": ("contractor_scores", None, None, "2026-10 · +2 · 保洁服务 · 表扬 · 锦旗"),
    "satisfaction_set": ("contractor_scores", "90.00%", "95.00%", "2026-10 · 120"),
    "policy_saved": (
        "assessment_policy",
        None,
        None,
        "weight daily: 0.5 → 1; weight self_check: 0 → 0.5; bonus_cap: 5 → 6; "
        "score_bands: ≥95: 5% → ≥96: 5%",
    ),
    "evidence_rules_saved": (
        "evidence_policy",
        None,
        None,
        "presence_radius_m: 200 → 300; camera_required: 1 → 0",
    ),
    "survey_opened": ("plans", None, None, "2026年第四季度"),
    "survey_access": ("surveys", None, None, "cards"),
    "survey_cards_issued": ("surveys", None, None, "30"),
    "service_line_saved": ("service_lines", None, None, ""),
    "category_saved": ("check_categories", None, None, ""),
    "check_point_saved": ("check_points", "general 1.0", "major 2.0", ""),
    "standards_imported": ("check_points", None, None, "created=3 updated=160"),
    "contractor_saved": ("contractors", None, "inactive", ""),
    "staff_saved": ("staff_members", None, "left", ""),
    "certificate_saved": ("certificates", None, "expires 2027-01-31", ""),
    "site_saved": ("sites", None, None, ""),
    "user_created": ("users", None, "contractor", ""),
    "role_changed": ("users", "inspector", "manager", ""),
    "user_activation": ("users", "True", "False", ""),
    "password_reset": ("users", None, None, ""),
    "password_changed": ("users", None, None, ""),
    "user_unlocked": ("users", None, None, ""),
    "identity_linked": ("users", None, None, "企业微信 张三"),
    "organisation_imported": (
        "organisation",
        None,
        None,
        "场所：新建 3，修改 1，不变 0，工作簿中没有 2；账号：新建 1，修改 0，不变 5",
    ),
    "identity_unlinked": ("users", None, None, "统一身份认证 张三"),
    "user_invited": ("users", None, None, ""),
    "invitation_accepted": ("users", None, None, ""),
    "account_created_on_sign_in": ("users", None, "inspector", "企业微信 王五，部门 2"),
    "meeting_pack_kept": ("analysis_meetings", None, None, "2026-10-01–2026-12-31"),
}

# What the log keeps and a person must never read: codes, key=value, field names, booleans.
RAW = re.compile(r"[a-z]+_[a-z_]+|\w+=\w|\b(True|False)\b")
STATE_CODES = {member.value for enum in STATES_BY_OBJECT.values() for member in enum}
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# every enum whose members a timeline puts into words, as states or in details
WORDED_ENUMS = [
    value
    for value in vars(timeline).values()
    if isinstance(value, type) and issubclass(value, LabelledEnum) and value is not LabelledEnum
]


def event(action):
    object_type, before, after, detail = WRITTEN[action]
    return AuditEvent(
        action=action, object_type=object_type, from_state=before, to_state=after, detail=detail
    )


def raw_parts(text: str, locale: str) -> bool:
    """Whether the text shows something only the log should hold."""
    states = "|".join(STATE_CODES)
    if RAW.search(text) or re.search(rf"(→ |· )({states})\b|\b({states}) →", text):
        return True
    return locale == "zh_Hans" and bool(re.search(r"[A-Za-z]{3,}", text))


def is_words(label: str, locale: str) -> bool:
    """Whether a label says something in the reader's language."""
    in_its_language = locale == "en" or bool(CHINESE.search(label))
    return bool(label) and not raw_parts(label, locale) and in_its_language


def test_every_action_the_app_records_has_a_sample_here():
    assert [action for action in ACTIONS if action not in WRITTEN] == []
    assert [action for action in WRITTEN if action not in ACTIONS] == []


def test_the_timeline_words_only_actions_the_app_records():
    assert set(DETAILS) - set(ACTIONS) == set()
    assert SAYS_ITS_STATE - set(ACTIONS) == set()


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_action_reads_as_words(app, locale):
    with app.test_request_context(), force_locale(locale):
        labels = {action: action_label(action) for action in ACTIONS}
        texts = {a: f"{labels[a]} · {event_facts(event(a))}" for a in ACTIONS if a in WRITTEN}
    assert [(a, label) for a, label in labels.items() if not is_words(label, locale)] == []
    assert [text for action, text in texts.items() if action in text] == []
    assert [text for text in texts.values() if raw_parts(text, locale)] == []


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_state_and_kind_a_timeline_names_has_words(app, locale):
    with app.test_request_context(), force_locale(locale):
        labels = {(enum.__name__, m.value): m.label for enum in WORDED_ENUMS for m in enum}
        labels |= {("ON_OFF", code): str(words) for code, words in ON_OFF.items()}
    assert [(key, label) for key, label in labels.items() if not is_words(label, locale)] == []


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_state_of_every_object_reads_as_its_label(app, locale):
    with app.test_request_context(), force_locale(locale):
        for object_type, enum in STATES_BY_OBJECT.items():
            for member in enum:
                moved = AuditEvent(
                    action="x",
                    object_type=object_type,
                    from_state=member.value,
                    to_state=member.value,
                )
                assert event_facts(moved) == f"{member.label} → {member.label}"
