"""The audit log: the app can only add to it; a manager reads the whole history of an
inspection, a notice and a score."""

import pytest
import sqlalchemy as sa

from app.auth.models import Role
from app.core.audit import AuditEvent, AuditLogIsAppendOnly, UnlistedAuditAction, record_event
from app.core.extensions import db
from tests.assessments.test_assessments import kitchen, month  # noqa: F401  (fixtures)
from tests.helpers import login


@pytest.fixture
def logged(make_user):
    manager = make_user(Role.MANAGER)
    event = record_event("notice_issued", object_type="notices", detail="原始记录", actor=manager)
    db.session.commit()
    return event


def _refused(change) -> None:
    with pytest.raises(AuditLogIsAppendOnly):
        change()
        db.session.flush()
    db.session.rollback()


def test_recorded_events_cannot_be_changed_or_removed(logged):
    def edit():
        logged.detail = "改过的记录"

    _refused(edit)
    _refused(lambda: db.session.delete(logged))
    _refused(lambda: db.session.execute(sa.update(AuditEvent).values(detail="x")))
    _refused(lambda: db.session.execute(sa.delete(AuditEvent)))
    _refused(lambda: db.session.execute(sa.text("DELETE FROM audit_events")))
    _refused(lambda: db.session.execute(sa.text("  update AUDIT_EVENTS set detail = 'x'")))
    assert db.session.scalar(sa.select(AuditEvent.detail)) == "原始记录"
    record_event("notice_closed", object_type="notices")
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 2, "adding still works"


def test_an_action_without_words_cannot_be_recorded(app):
    with pytest.raises(UnlistedAuditAction, match="notice_misplaced"):
        record_event("notice_misplaced", object_type="notices")
    assert not db.session.new


def _policy_form(**changes):
    form = {
        f"weight-{t}": "1"
        for t in ("daily", "weekly_joint", "monthly", "half_yearly", "ad_hoc", "self_check")
    }
    form.update(
        {
            "overdue_notice_points": "2",
            "exit_warning_points": "5",
            "complaint_points": "2",
            "bonus_cap": "5",
            "criticise_below": "85",
            "praise_top": "3",
            "repeat_window_days": "30",
            "repeat_weight": "1",
        }
    )
    for name in ("score_bands", "satisfaction_bands"):
        for index, (minimum, percent) in enumerate(
            (("95", "10"), ("90", "0"), ("80", "-10"), ("0", "-30"))
        ):
            form[f"{name}-{index}-minimum"] = minimum
            form[f"{name}-{index}-percent"] = percent
    return form | changes


def test_a_score_s_history_shows_every_change_to_what_it_counts(month, client, cast, kitchen):  # noqa: F811
    caterer = cast.own
    line = caterer.service_lines[0]
    login(client, cast.manager)
    client.post(
        f"/assessments/{month}/bonus",
        data={
            "contractor_line": f"{caterer.id}:{line.id}",
            "kind": "praise",
            "points": "2",
            "reason": "收到表扬信",
        },
    )
    for rate in ("92", "96.5"):
        client.post(
            f"/assessments/{month}/satisfaction",
            data={"contractor_id": caterer.id, "rate": rate, "respondents": "80"},
        )
    assert client.post("/assessments/policy", data=_policy_form()).status_code == 302
    assert client.post("/assessments/policy", data=_policy_form(bonus_cap="3")).status_code == 302

    month_page = client.get(f"/assessments/{month}").text
    url = f"/assessments/{month}/contractors/{caterer.id}"
    assert url in month_page
    history = client.get(url).text
    assert "收到表扬信" in history and "+2.0" in history
    assert "92.00% → 96.50%" in history, "the rate's change, from and to"
    assert "每月加分上限: 5 → 3" in history, "the rule by its name, not its field"
    assert history.count("评分规则已修改") == 2
    other = client.get(f"/assessments/{month}/contractors/{cast.other.id}").text
    assert "收到表扬信" not in other and "96.50%" not in other
    assert "每月加分上限: 5 → 3" in other, "the rules count for everyone"

    client.post("/logout")
    login(client, cast.owner)
    assert client.get(url).status_code == 403
