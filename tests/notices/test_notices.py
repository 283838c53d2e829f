"""Rectification notices: the lifecycle, numbering, deadlines, escalation, access and PDF."""

import io
import re
import subprocess
import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from app.catalog.models import ServiceLine, Severity, SiteKind
from app.core.audit import AuditEvent
from app.core.extensions import db
from app.core.files import sha256
from app.core.photos import read_photo, store_photo
from app.core.refusals import Refused
from app.core.timeutil import LOCAL_TZ, as_utc, utcnow
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import attach_photo, record_answer, record_note, reopen, submit
from app.notices import documents as notice_documents
from app.notices.access import (
    can_acknowledge,
    can_report_fix,
    can_see_notice,
    can_see_warning,
    visible_notices,
)
from app.notices.deadlines import ensure_default_rules
from app.notices.documents import render_notice
from app.notices.lifecycle import (
    accept_fix,
    acknowledge,
    draft_notices,
    escalate,
    fix_stamp_facts,
    issue,
    note_first_opening,
    receipt_stamp_facts,
    record_unsigned_service,
    reject_fix,
    remove_item,
    report_fix,
    set_deadline,
)
from app.notices.models import (
    DeadlineRule,
    ExitWarning,
    FixPhoto,
    ItemStatus,
    Notice,
    NoticeStatus,
    ReceiptWay,
)
from app.web.models import DeliveredForm
from tests.helpers import jpeg, login
from tests.main.test_timeline import raw_parts


@pytest.fixture
def kitchen(cast, make_check_point, make_site):
    """A kitchen in a compound: the caterer (`cast.own`) answers for its food safety (critical)
    and kitchen points, the cleaner (`cast.other`) for the compound's floors."""
    ensure_default_rules()
    compound = make_site("机关大院", SiteKind.COMPOUND)
    kitchen = make_site("后厨", SiteKind.AREA, compound)
    food = make_check_point(
        line_code="CAT",
        category="食品安全",
        title="食品留样",
        severity=Severity.CRITICAL,
        deduction="5",
    )
    make_check_point(line_code="CAT", category="厨房环境", title="地面排水")
    floor = make_check_point(line_code="CLN", category="公共区域", title="大堂地面")
    cast.own.service_lines, cast.own.sites = [food.category.service_line], [kitchen]
    cast.other.service_lines, cast.other.sites = [floor.category.service_line], [compound]
    db.session.commit()
    return kitchen


@pytest.fixture
def inspection(cast, kitchen):
    """A submitted block check of the kitchen: both caterer points and the floor failed."""
    inspector = cast.inspector
    checked = start_inspection(Plan(Scope.BLOCK, kitchen), inspector)
    for item in checked.items:
        failed = item.title in ("食品留样", "地面排水", "大堂地面")
        record_answer(item, Answer.FAIL if failed else Answer.PASS, inspector)
        if failed:
            record_note(item, f"{item.title}不合格", inspector)
            attach_photo(item, jpeg(), inspector)
    submit(checked, inspector)
    db.session.commit()
    return checked


@pytest.fixture
def drafts(cast, inspection):
    made = draft_notices(inspection, cast.inspector)
    db.session.commit()
    return {n.contractor_id: n for n in made}


@pytest.fixture
def issued(cast, drafts):
    notice = drafts[cast.own.id]
    issue(notice, cast.inspector)
    db.session.commit()
    return notice


@pytest.fixture
def acknowledged(cast, issued):
    acknowledge(issued, cast.owner)
    db.session.commit()
    return issued


# --- drafting and issuing ---------------------------------------------------------------


def test_findings_become_one_draft_per_contractor_with_the_strictest_deadline(cast, drafts):
    caterer = drafts[cast.own.id]
    assert [i.finding.title for i in caterer.items] == ["食品留样", "地面排水"]
    assert [i.finding.title for i in drafts[cast.other.id].items] == ["大堂地面"]
    hours = (caterer.deadline - caterer.created_at).total_seconds() / 3600
    assert hours == pytest.approx(24)  # critical: a day, not the general week
    assert caterer.status == NoticeStatus.DRAFT and caterer.serial is None


def test_a_line_rule_beats_the_bureau_wide_rule(cast, inspection):
    line = inspection.service_lines[0]
    db.session.add(DeadlineRule(severity=Severity.CRITICAL, service_line_id=line.id, hours=4))
    db.session.commit()
    notice = next(
        n for n in draft_notices(inspection, cast.inspector) if n.contractor_id == cast.own.id
    )
    assert (notice.deadline - notice.created_at) == timedelta(hours=4)


def test_findings_go_on_one_notice_only(cast, inspection, drafts):
    assert draft_notices(inspection, cast.inspector) == []


def test_a_draft_inspection_cannot_make_notices(cast, kitchen):
    draft = start_inspection(Plan(Scope.BLOCK, kitchen), cast.inspector)
    with pytest.raises(Refused):
        draft_notices(draft, cast.inspector)


def test_deadline_changes_need_a_reason_and_a_future_time(cast, drafts):
    notice = drafts[cast.own.id]
    later = utcnow() + timedelta(days=3)
    with pytest.raises(Refused):
        set_deadline(notice, later, " ", cast.inspector)
    with pytest.raises(Refused):
        set_deadline(notice, utcnow() - timedelta(hours=1), "节假日", cast.inspector)
    set_deadline(notice, later, "需采购配件", cast.inspector)
    assert notice.deadline_reason == "需采购配件"
    assert all(item.deadline == later for item in notice.items)


def test_issue_numbers_notices_by_year_in_order(cast, drafts):
    first, second = drafts[cast.own.id], drafts[cast.other.id]
    issue(first, cast.inspector)
    issue(second, cast.manager)
    year = utcnow().astimezone(LOCAL_TZ).year
    assert (first.serial, second.serial) == (1, 2)
    assert first.number == f"整改〔{year}〕第0001号"
    assert first.status == NoticeStatus.ISSUED and first.issued_by == cast.inspector
    with pytest.raises(Refused):
        issue(first, cast.inspector)


def test_a_number_taken_in_a_failed_transaction_is_given_again(cast, drafts):
    first, second = drafts[cast.own.id], drafts[cast.other.id]
    issue(first, cast.inspector)
    assert first.serial == 1
    db.session.rollback()  # the crash: nothing of that issue is kept
    issue(db.session.get(Notice, second.id), cast.inspector)
    db.session.commit()
    assert db.session.get(Notice, second.id).serial == 1


def test_the_rules_clock_starts_at_issue_unless_set_by_hand(cast, drafts):
    late = utcnow() + timedelta(days=5)
    ruled, manual = drafts[cast.own.id], drafts[cast.other.id]
    issue(ruled, cast.inspector, now=late)
    assert ruled.deadline == late + timedelta(hours=24)
    set_deadline(manual, utcnow() + timedelta(days=3), "合同约定", cast.inspector)
    with pytest.raises(Refused):
        issue(manual, cast.inspector, now=late)  # the hand-set deadline has passed


def test_the_contractors_first_opening_is_kept_once(cast, drafts, issued):
    opened = sa.select(AuditEvent.actor_id).where(AuditEvent.action == "notice_opened")
    note_first_opening(issued, cast.inspector)
    note_first_opening(drafts[cast.other.id], cast.owner)  # a draft the contractor never sees
    assert db.session.scalars(opened).all() == []
    note_first_opening(issued, cast.owner)
    db.session.rollback()  # what the page does afterwards does not undo the proof
    assert db.session.scalars(opened).all() == [cast.owner.id]
    note_first_opening(issued, cast.owner)
    assert db.session.scalars(opened).all() == [cast.owner.id]


def test_an_empty_draft_or_a_contractor_cannot_issue(cast, drafts):
    notice = drafts[cast.other.id]
    with pytest.raises(Refused):
        issue(notice, cast.outsider)
    remove_item(notice.items[0], cast.inspector)
    with pytest.raises(Refused):
        issue(notice, cast.inspector)


def test_concurrent_issuing_gives_every_number_once(app, cast, kitchen, make_check_point):
    """Eight inspectors press issue at once: serials 1..8, none twice, none skipped."""
    ensure_default_rules()
    notices = []
    for n in range(8):
        checked = start_inspection(Plan(Scope.BLOCK, kitchen), cast.inspector)
        for item in checked.items:
            record_answer(
                item, Answer.FAIL if item.title == "地面排水" else Answer.PASS, cast.inspector
            )
            record_note(item, f"第{n}次", cast.inspector)
        submit(checked, cast.inspector)
        notices.extend(draft_notices(checked, cast.inspector))
    db.session.commit()
    ids, inspector_id = [n.id for n in notices], cast.inspector.id
    barrier, errors = threading.Barrier(len(ids)), []

    def press_issue(notice_id):
        with app.app_context():
            try:
                from app.auth.models import User

                barrier.wait()
                issue(db.session.get(Notice, notice_id), db.session.get(User, inspector_id))
                db.session.commit()
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press_issue, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    serials = sorted(db.session.scalars(sa.select(Notice.serial).where(Notice.id.in_(ids))))
    assert serials == list(range(1, len(ids) + 1))


# --- the contractor's side and verification ---------------------------------------------


def test_only_the_contractors_own_user_acknowledges(cast, issued):
    for outsider in (cast.outsider, cast.inspector):
        with pytest.raises(Refused):
            acknowledge(issued, outsider)
    acknowledge(issued, cast.owner)
    assert issued.status == NoticeStatus.ACKNOWLEDGED
    assert issued.acknowledged_by == cast.owner
    with pytest.raises(Refused):
        acknowledge(issued, cast.owner)


def test_a_fix_needs_acknowledgement_a_note_and_a_photo(cast, issued):
    item = issued.items[0]
    with pytest.raises(Refused):
        report_fix(item, cast.owner, "已整改", [jpeg()])
    acknowledge(issued, cast.owner)
    with pytest.raises(Refused):
        report_fix(item, cast.owner, "", [jpeg()])
    with pytest.raises(Refused):
        report_fix(item, cast.owner, "已整改", [])
    with pytest.raises(Refused):
        report_fix(item, cast.outsider, "已整改", [jpeg()])
    report_fix(item, cast.owner, "已补足留样", [jpeg(), jpeg(color=(0, 200, 0))])
    assert item.status == ItemStatus.FIX_REPORTED and len(item.fix_photos) == 2
    with pytest.raises(Refused):
        report_fix(item, cast.owner, "再报", [jpeg()])


def test_accepting_every_fix_closes_the_notice(cast, acknowledged):
    first, second = acknowledged.items
    for item in (first, second):
        report_fix(item, cast.owner, "已整改", [jpeg()])
    with pytest.raises(Refused):
        accept_fix(first, cast.owner)
    accept_fix(first, cast.inspector)
    assert acknowledged.status == NoticeStatus.ACKNOWLEDGED
    accept_fix(second, cast.inspector)
    assert acknowledged.status == NoticeStatus.CLOSED and acknowledged.closed_at is not None
    with pytest.raises(Refused):
        accept_fix(second, cast.inspector)


def test_rejection_sends_back_with_a_new_deadline_and_twice_warns(cast, acknowledged):
    item = acknowledged.items[0]
    later = utcnow() + timedelta(days=2)
    report_fix(item, cast.owner, "已整改", [jpeg()])
    with pytest.raises(Refused):
        reject_fix(item, cast.inspector, "", later)
    with pytest.raises(Refused):
        reject_fix(item, cast.inspector, "未到位", utcnow() - timedelta(hours=1))
    assert reject_fix(item, cast.inspector, "仍有残渣", later) is None
    assert (item.status, item.rejections, item.deadline) == (ItemStatus.OPEN, 1, later)
    report_fix(item, cast.owner, "再次整改", [jpeg()])
    warning = reject_fix(item, cast.inspector, "依旧未到位", later + timedelta(days=1))
    db.session.commit()
    year = utcnow().astimezone(LOCAL_TZ).year
    assert warning.number == f"退出警告〔{year}〕第001号"
    assert warning.contractor_id == cast.own.id


# --- overdue and escalation --------------------------------------------------------------


def test_overdue_is_about_findings_still_waiting_for_the_contractor(cast, acknowledged):
    after = utcnow() + timedelta(days=2)
    assert acknowledged.is_overdue(after)
    for item in acknowledged.items:
        report_fix(item, cast.owner, "已整改", [jpeg()])
    assert not acknowledged.is_overdue(after)  # the fixes now wait for us


def test_escalate_marks_once_and_warns_when_overdue_too_long(issued):
    soon = utcnow() + timedelta(days=2)
    marked, warnings = escalate(soon)
    assert marked == [issued] and warnings == [] and issued.overdue_at == soon
    assert escalate(soon + timedelta(hours=1)) == ([], [])
    much_later = soon + timedelta(days=8)
    marked, warnings = escalate(much_later)
    assert marked == [] and len(warnings) == 1
    assert escalate(much_later + timedelta(days=1)) == ([], [])
    assert db.session.scalar(sa.select(sa.func.count(ExitWarning.id))) == 1


def test_escalate_command_is_for_cron(app, issued):
    issued.deadline = utcnow() - timedelta(hours=1)
    for item in issued.items:
        item.deadline = issued.deadline
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["notices", "escalate"])
    assert first.exit_code == 0 and "1 notices newly overdue" in first.output
    assert "0 notices newly overdue" in runner.invoke(args=["notices", "escalate"]).output


def test_reopening_an_inspection_respects_its_notices(cast, inspection, drafts):
    issue(drafts[cast.own.id], cast.inspector)
    db.session.commit()
    with pytest.raises(Refused):
        reopen(inspection, cast.manager, "更正")
    db.session.rollback()
    only_drafts = draft_notices(inspection, cast.inspector)
    assert only_drafts == []


# --- pages, access, PDF ------------------------------------------------------------------


def notice_urls(notice):
    item = notice.items[0]
    urls = [
        f"/notices/{notice.id}",
        f"/notices/{notice.id}.pdf",
        f"/notices/{notice.id}/evidence/{item.finding.photos[0].id}",
    ]
    urls += [f"/notices/fix-photos/{p.id}" for p in item.fix_photos]
    return urls


@pytest.fixture
def fixed(cast, acknowledged):
    report_fix(acknowledged.items[0], cast.owner, "已补足留样", [jpeg()])
    db.session.commit()
    return acknowledged


@pytest.mark.parametrize(
    "who, status",
    [("owner", 200), ("colleague", 200), ("inspector", 200), ("manager", 200), ("outsider", 404)],
)
def test_who_sees_a_notice_its_photos_and_its_pdf(client, cast, fixed, who, status):
    login(client, getattr(cast, who))
    for url in notice_urls(fixed):
        with client.get(url) as response:
            assert response.status_code == status, url


def test_anonymous_visitors_are_sent_to_log_in(client, fixed):
    for url in notice_urls(fixed):
        assert client.get(url).status_code == 302


def test_contractors_do_not_see_drafts_or_others_notices(client, cast, drafts, issued):
    login(client, cast.owner)
    assert client.get(f"/notices/{drafts[cast.other.id].id}").status_code == 404
    listing = client.get("/notices?status=all").text
    assert issued.number in listing
    assert client.get("/notices?status=draft").status_code == 404


def test_the_contractor_acknowledges_and_reports_a_fix_on_the_page(client, cast, issued):
    login(client, cast.owner)
    home = client.get("/").text
    assert "待签收的整改通知书" in home and issued.number in home
    assert client.post(f"/notices/{issued.id}/acknowledge").status_code == 302
    item = issued.items[0]
    refused = client.post(
        f"/notices/{issued.id}/items/{item.id}/fix",
        data={"note": "已整改"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 302
    assert "请至少上传一张整改后的照片" in client.get(f"/notices/{issued.id}").text
    response = client.post(
        f"/notices/{issued.id}/items/{item.id}/fix",
        data={"note": "已补足留样", "photos": [(io.BytesIO(jpeg()), "f.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.refresh(item)
    assert item.status == ItemStatus.FIX_REPORTED
    page = client.get(f"/notices/{issued.id}").text
    assert "签收人" in page and cast.owner.display_name in page
    assert "报告整改" in page  # the timeline


def test_the_notices_a_user_lists_are_those_they_may_open(cast, drafts, issued):
    """visible_notices is can_see_notice as a query: supervisors every notice, drafts too; a
    contractor's users only their own company's issued ones; warnings likewise."""
    notices = list(drafts.values())
    for user in (cast.owner, cast.colleague, cast.outsider, cast.inspector, cast.manager):
        listed = set(db.session.scalars(sa.select(Notice.id).where(visible_notices(user))))
        assert listed == {n.id for n in notices if can_see_notice(user, n)}
    assert can_see_notice(cast.owner, issued) and not can_see_notice(cast.outsider, issued)
    assert not can_see_notice(cast.outsider, drafts[cast.other.id]), "a draft stays in-house"
    assert can_see_notice(cast.inspector, drafts[cast.other.id])
    warning = ExitWarning(contractor_id=cast.own.id)
    assert [can_see_warning(u, warning) for u in (cast.owner, cast.outsider, cast.inspector)] == [
        True,
        False,
        True,
    ]


def test_a_notice_page_offers_what_the_lifecycle_allows_the_reader(client, cast, issued):
    """The page asks the lifecycle's own predicates: what it offers, the guards accept."""
    acknowledge_button, fix_form = "签收</button>", "报告整改</button>"
    for user, can in (
        (cast.inspector, False),
        (cast.outsider, None),  # not theirs: not even shown
        (cast.owner, True),
    ):
        login(client, user)
        page = client.get(f"/notices/{issued.id}")
        if can is None:
            assert page.status_code == 404
        else:
            assert (acknowledge_button in page.text) is can
            assert can_acknowledge(issued, user) is can
        client.post("/logout")
    acknowledge(issued, cast.owner)
    db.session.commit()
    login(client, cast.owner)
    page = client.get(f"/notices/{issued.id}").text
    assert acknowledge_button not in page and page.count(fix_form) == len(issued.items)
    assert all(can_report_fix(item, cast.owner) for item in issued.items)
    assert not any(can_report_fix(item, cast.inspector) for item in issued.items)
    assert "草稿" not in client.get("/notices").text
    client.post("/logout")
    login(client, cast.manager)
    assert "草稿" in client.get("/notices").text


def test_the_inspector_verifies_from_the_queue(client, cast, fixed):
    login(client, cast.inspector)
    assert "待现场验收的整改" in client.get("/").text
    item = fixed.items[0]
    url = f"/notices/{fixed.id}/items/{item.id}/verify"
    client.post(url, data={"decision": "reject", "reason": "仍有问题"})
    db.session.refresh(item)
    assert item.status == ItemStatus.FIX_REPORTED  # no new deadline: refused
    later = (utcnow() + timedelta(days=2)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    client.post(url, data={"decision": "reject", "reason": "仍有问题", "new_deadline": later})
    db.session.refresh(item)
    assert item.status == ItemStatus.OPEN and item.rejections == 1


def test_manager_sees_overdue_notices(client, cast, issued):
    issued.deadline = utcnow() - timedelta(hours=3)
    for item in issued.items:
        item.deadline = issued.deadline
    db.session.commit()
    login(client, cast.manager)
    assert "逾期的整改通知书" in client.get("/").text
    overdue = client.get("/notices?status=overdue").text
    assert issued.number in overdue and "已逾期" in overdue


def test_manager_edits_deadline_rules(client, cast, kitchen):
    login(client, cast.manager)
    assert client.get("/notices/rules").status_code == 200
    line = db.session.scalar(sa.select(DeadlineRule.service_line_id).limit(1))
    response = client.post(
        "/notices/rules",
        data={
            "hours-critical-0": "12",
            "hours-major-0": "48",
            "hours-general-0": "120",
            "overdue_warning_days": "5",
            "warning_after_rejections": "3",
        },
    )
    assert response.status_code == 302 and line is None
    rule = db.session.scalar(
        sa.select(DeadlineRule).where(
            DeadlineRule.severity == Severity.CRITICAL, DeadlineRule.service_line_id.is_(None)
        )
    )
    assert rule.hours == 12
    cleaning = db.session.scalar(sa.select(ServiceLine).where(ServiceLine.code == "CLN"))
    valid = {
        "hours-critical-0": "12",
        "hours-major-0": "48",
        "hours-general-0": "120",
        "overdue_warning_days": "5",
        "warning_after_rejections": "3",
        f"hours-critical-{cleaning.id}": "6",
    }
    assert client.post("/notices/rules", data=valid).status_code == 302
    own = sa.select(DeadlineRule.hours).where(DeadlineRule.service_line_id == cleaning.id)
    assert db.session.scalars(own).all() == [6]
    emptied = valid | {f"hours-critical-{cleaning.id}": ""}
    assert client.post("/notices/rules", data=emptied).status_code == 302
    assert db.session.scalars(own).all() == [], "an emptied line uses the bureau-wide hours"
    bad = client.post(
        "/notices/rules",
        data={
            "hours-critical-0": "0",
            "hours-major-0": "48",
            "hours-general-0": "",
            "overdue_warning_days": "5",
            "warning_after_rejections": "3",
        },
    )
    assert bad.status_code == 422
    assert "每个严重程度都需要通用期限。" in bad.text
    assert "严重（全部服务项目）：时限应为1至8760小时。" in bad.text
    db.session.refresh(rule)
    assert rule.hours == 12
    client.post("/logout")
    login(client, cast.inspector)
    assert client.get("/notices/rules").status_code == 403


def test_notice_pdf_is_an_official_document_with_fonts_and_photos(
    client, cast, acknowledged, tmp_path
):
    login(client, cast.manager)
    pdf = client.get(f"/notices/{acknowledged.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "整改通知书",
        acknowledged.number.replace("〔", "").split("〕")[-1],
        "禾香餐饮",
        "食品留样不合格",
        "签收人",
        "第1页",
    ):
        assert expected in text.replace(" ", ""), expected
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all("CJK" in line and line.split()[-5] == "yes" for line in fonts)
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(images) >= 2, "both findings' photos are printed"


def test_exit_warning_has_its_page_and_pdf(client, cast, acknowledged, tmp_path):
    item = acknowledged.items[0]
    for _ in range(2):
        report_fix(item, cast.owner, "整改", [jpeg()])
        warning = reject_fix(item, cast.inspector, "未到位", utcnow() + timedelta(days=1))
    db.session.commit()
    login(client, cast.owner)
    page = client.get(f"/warnings/{warning.id}").text
    assert warning.number in page
    assert "最近一次退回的理由：未到位" in page
    pdf = client.get(f"/warnings/{warning.id}.pdf")
    path = tmp_path / "w.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "书面退出警告" in text
    client.post("/logout")
    login(client, cast.outsider)
    assert client.get(f"/warnings/{warning.id}").status_code == 404


def test_the_contractor_opens_the_inspectors_evidence_photo_at_full_size(client, cast, fixed):
    login(client, cast.owner)
    page = client.get(f"/notices/{fixed.id}").text
    photo = fixed.items[0].finding.photos[0]
    full = f'href="/notices/{fixed.id}/evidence/{photo.id}"'
    assert full in page, "the thumbnail links to the whole photo"
    with client.get(f"/notices/{fixed.id}/evidence/{photo.id}") as whole:
        with Image.open(io.BytesIO(whole.data)) as image:
            assert image.size == (photo.width, photo.height)


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_the_contractor_reads_the_notices_timeline_as_words(client, cast, fixed, locale):
    accept_fix(fixed.items[0], cast.inspector)
    db.session.commit()
    login(client, cast.owner)
    client.post("/language", data={"lang": locale})
    page = client.get(f"/notices/{fixed.id}").text
    history = page[page.index('id="history-head"') : page.index("</ol>", page.index("timeline"))]
    entries = [re.sub(r"<[^>]+>", "", line).strip() for line in history.split("<li>")[1:]]
    assert len(entries) >= 5, "drafted, issued, acknowledged, fix reported, accepted, closed"
    assert [entry for entry in entries if raw_parts(entry, locale)] == []


# --- a fix report sent again by the phone's outbox -------------------------------------


def fix_form(key, photos=1):
    return {
        "client_uuid": key,
        "note": "已补足留样",
        "photos": [(io.BytesIO(jpeg()), f"f{n}.jpg") for n in range(photos)],
    }


def test_a_resent_fix_report_is_done_once_and_answers_where_the_first_went(
    client, cast, acknowledged
):
    login(client, cast.owner)
    item = acknowledged.items[0]
    url = f"/notices/{acknowledged.id}/items/{item.id}/fix"
    key = str(uuid.uuid4())
    first = client.post(url, data=fix_form(key), content_type="multipart/form-data")
    again = client.post(url, data=fix_form(key, photos=2), content_type="multipart/form-data")
    assert first.status_code == again.status_code == 302
    assert again.location == first.location
    assert "此前已收到" in client.get(again.location).text
    assert db.session.scalar(sa.select(sa.func.count(FixPhoto.id))) == 1
    db.session.refresh(item)
    assert item.status == ItemStatus.FIX_REPORTED


def test_a_refused_form_leaves_no_trace_so_its_resend_is_judged_again(client, cast, acknowledged):
    login(client, cast.owner)
    item = acknowledged.items[0]
    url = f"/notices/{acknowledged.id}/items/{item.id}/fix"
    key = str(uuid.uuid4())
    client.post(url, data=fix_form(key, photos=0), content_type="multipart/form-data")
    assert db.session.get(DeliveredForm, key) is None
    client.post(url, data=fix_form(key), content_type="multipart/form-data")
    db.session.refresh(item)
    assert item.status == ItemStatus.FIX_REPORTED


def test_a_uuid_sent_by_someone_else_is_refused(app, client, cast, acknowledged):
    login(client, cast.owner)
    item = acknowledged.items[0]
    url = f"/notices/{acknowledged.id}/items/{item.id}/fix"
    key = str(uuid.uuid4())
    client.post(url, data=fix_form(key), content_type="multipart/form-data")
    colleague = app.test_client()
    login(colleague, cast.colleague)
    replayed = colleague.post(url, data=fix_form(key), content_type="multipart/form-data")
    assert replayed.status_code == 409
    assert client.post(url, data={"client_uuid": "not-a-uuid"}).status_code == 400


def test_a_deadline_typed_in_beijing_time_is_kept_as_that_instant(client, cast, drafts):
    """18:00 typed on the form is 18:00 in the bureau's zone, i.e. 10:00 UTC, on both databases
    (SQLite once kept the wall-clock text and read it back as UTC, eight hours late)."""
    notice = drafts[cast.own.id]
    login(client, cast.manager)
    typed = (utcnow() + timedelta(days=3)).astimezone(LOCAL_TZ).replace(hour=18, minute=0)
    response = client.post(
        f"/notices/{notice.id}/deadline",
        data={"deadline": typed.strftime("%Y-%m-%dT%H:%M"), "reason": "节假日顺延"},
    )
    assert response.status_code == 302
    db.session.refresh(notice)
    assert as_utc(notice.deadline) == typed.replace(second=0, microsecond=0)
    assert "18:00" in client.get(f"/notices/{notice.id}").text


# --- stamped evidence photos ------------------------------------------------------------


def test_a_fix_photo_is_stamped_from_the_records_and_its_unmarked_original_kept(cast, acknowledged):
    item = acknowledged.items[0]
    marked, unmarked = jpeg(color=(200, 30, 30)), jpeg(color=(30, 200, 30))
    report_fix(item, cast.owner, "已补足留样", [marked], originals=[unmarked])
    db.session.commit()
    photo = item.fix_photos[0]
    kept = read_photo(photo.digest)
    assert sha256(kept) == photo.digest and store_photo(marked).digest == photo.digest
    assert photo.original_digest == store_photo(unmarked).digest
    assert photo.stamped_digest not in (None, photo.digest) and read_photo(photo.stamped_digest)
    lines = fix_stamp_facts(item, cast.owner, photo.uploaded_at).lines()
    assert lines[1:] == [
        "地点 机关大院 / 后厨",
        f"拍摄人 {cast.owner.display_name}",
        f"{acknowledged.number} {item.finding.title}",
    ]


def test_supervisors_open_a_fix_photos_original_and_the_contractor_sees_the_stamped_copy(
    client, cast, acknowledged
):
    item = acknowledged.items[0]
    login(client, cast.owner)
    client.post(
        f"/notices/{acknowledged.id}/items/{item.id}/fix",
        data={
            "note": "已补足留样",
            "photos": [(io.BytesIO(jpeg(color=(200, 30, 30))), "marked.jpg")],
            "original": [(io.BytesIO(jpeg(color=(30, 200, 30))), "original.jpg")],
        },
        content_type="multipart/form-data",
    )
    db.session.refresh(item)
    photo = item.fix_photos[0]
    assert photo.original_digest == store_photo(jpeg(color=(30, 200, 30))).digest
    original = f"/notices/fix-photos/{photo.id}/original"
    assert client.get(f"/notices/fix-photos/{photo.id}").data == read_photo(photo.stamped_digest)
    assert client.get(original).status_code in (403, 404)
    assert photo.digest not in client.get(f"/notices/{acknowledged.id}").text
    client.post("/logout")
    login(client, cast.inspector)
    assert client.get(original).data == read_photo(photo.digest)
    assert client.get(f"{original}?unmarked=1").data == read_photo(photo.original_digest)
    assert photo.digest in client.get(f"/notices/{acknowledged.id}").text  # its SHA-256


def test_the_notice_pdf_embeds_the_stamped_copies(cast, issued, monkeypatch):
    record_unsigned_service(issued, cast.inspector, ReceiptWay.REFUSED, "王五", jpeg(), "拒签")
    db.session.commit()
    receipt = issued.receipt
    assert receipt.photo_stamped_digest not in (None, receipt.photo_digest)
    assert receipt_stamp_facts(issued).lines()[2:] == [
        f"拍摄人 {cast.inspector.display_name}",
        f"{issued.number} 拒绝签收，见证人 王五",
    ]
    embedded = []
    monkeypatch.setattr(
        notice_documents,
        "read_photo",
        lambda digest, thumb=False: embedded.append(digest) or read_photo(digest, thumb),
    )
    render_notice(issued)
    evidence = [photo for item in issued.items for photo in item.finding.photos]
    assert evidence and all(photo.stamped_digest for photo in evidence)
    assert set(embedded) == {receipt.photo_stamped_digest} | {p.stamped_digest for p in evidence}
