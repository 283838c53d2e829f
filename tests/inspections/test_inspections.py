"""Inspections: what a checklist covers, saving each tap, submitting, reopening, access."""

import io
import subprocess
import threading
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
import sqlalchemy as sa

from app.catalog.models import Severity, SiteKind
from app.core import stamping
from app.core.audit import AuditEvent
from app.core.evidence import marks_for
from app.core.extensions import db
from app.core.files import sha256
from app.core.photos import read_photo, store_photo
from app.core.refusals import Refused
from app.core.stamping import code_line
from app.core.timeutil import LOCAL_TZ, as_utc, month_of, utcnow
from app.inspections.access import (
    can_record,
    can_see_inspection,
    listed_inspections,
    refusal_to_record,
    visible_self_checks,
)
from app.inspections.checklist import Plan, plan_check_points, start_inspection
from app.inspections.models import (
    Answer,
    Finding,
    Inspection,
    InspectionPhoto,
    Schedule,
    Scope,
    Status,
)
from app.inspections.recent import recent_plans
from app.inspections.recording import (
    NotReady,
    attach_photo,
    record_answer,
    record_note,
    reopen,
    submission_problems,
    submit,
    tap_target,
)
from tests.helpers import jpeg, login


@pytest.fixture
def setting(cast, make_check_point, make_site, make_certificate):
    """A compound with a canteen; the caterer (`cast.own`) serves the canteen and the cleaner
    (`cast.other`) the compound; their check points; a caterer's lapsed health certificate."""
    compound = make_site("机关大院", SiteKind.COMPOUND)
    canteen = make_site("食堂", SiteKind.BUILDING, compound)
    kitchen = make_site("后厨", SiteKind.AREA, canteen)
    food = make_check_point(
        line_code="CAT",
        category="食品安全",
        title="食品留样",
        severity=Severity.CRITICAL,
        deduction="5",
    )
    hygiene = make_check_point(line_code="CAT", category="厨房环境", title="地面排水")
    make_check_point(line_code="CAT", category="厨房环境", title="已停用", active=False)
    floor = make_check_point(line_code="CLN", category="公共区域", title="大堂地面")
    labour = make_check_point(
        block_only=True,
        category="劳动用工",
        title="劳动合同",
        severity=Severity.MAJOR,
        deduction="3",
    )
    cast.own.service_lines, cast.own.sites = [food.category.service_line], [canteen]
    cast.other.service_lines, cast.other.sites = [floor.category.service_line], [compound]
    db.session.commit()
    return SimpleNamespace(
        compound=compound,
        canteen=canteen,
        kitchen=kitchen,
        food=food,
        hygiene=hygiene,
        floor=floor,
        labour=labour,
        expired=make_certificate(contractor=cast.own, kind="健康证", expires_in_days=-3),
    )


@pytest.fixture
def strip(cast, setting):
    """A draft strip check of catering in the kitchen by the setting's inspector."""
    plan = Plan(Scope.STRIP, setting.kitchen, service_line=setting.food.category.service_line)
    inspection = start_inspection(plan, cast.inspector)
    db.session.commit()
    return inspection


def titles(inspection):
    return [item.title for item in inspection.items]


def test_strip_check_draws_only_its_lines_active_points(cast, strip):
    assert titles(strip) == ["食品留样", "地面排水"]
    assert strip.contractors == [cast.own]
    assert {item.contractor_id for item in strip.items} == {cast.own.id}
    assert strip.status == Status.DRAFT and strip.inspectors == [cast.inspector]


def test_block_check_of_a_contractor_adds_block_points_and_expired_certificates(cast, setting):
    plan = Plan(Scope.BLOCK, setting.kitchen, contractor=cast.own)
    inspection = start_inspection(plan, cast.inspector)
    assert titles(inspection)[:3] == ["食品留样", "地面排水", "劳动合同"]
    certificate_item = inspection.items[-1]
    assert certificate_item.certificate_id == setting.expired.id
    assert "健康证" in certificate_item.title and certificate_item.severity == Severity.MAJOR


def test_block_check_of_a_place_covers_every_contractor_serving_it(cast, setting):
    plan = Plan(Scope.BLOCK, setting.kitchen)
    inspection = start_inspection(plan, cast.inspector)
    assert {c.name for c in inspection.contractors} == {"禾香餐饮", "安泰物业"}
    assert "大堂地面" in titles(inspection)
    labour = [item for item in inspection.items if item.title == "劳动合同"]
    assert {item.contractor_id for item in labour} == {cast.own.id, cast.other.id}


def test_a_strip_check_needs_a_line_and_something_to_check(cast, setting):
    with pytest.raises(Refused):
        start_inspection(Plan(Scope.STRIP, setting.kitchen), cast.inspector)
    empty = Plan(Scope.BLOCK, setting.compound, contractor=None)
    cast.own.active = cast.other.active = False
    db.session.flush()
    assert [p.title for p in plan_check_points(empty)] == ["劳动合同"]


def test_items_keep_a_snapshot_when_the_library_changes(setting, strip):
    setting.food.title = "改过的标题"
    setting.food.deduction = Decimal("9")
    db.session.commit()
    db.session.refresh(strip.items[0])
    assert strip.items[0].title == "食品留样" and strip.items[0].deduction == Decimal("5")


def test_submit_needs_every_answer_a_note_per_failure_and_photos_for_serious_ones(cast, strip):
    inspector = cast.inspector
    critical, general = strip.items
    assert len(submission_problems(strip)) == 2

    record_answer(critical, Answer.FAIL, inspector)
    record_answer(general, Answer.FAIL, inspector)
    messages = [p.message for p in submission_problems(strip)]
    assert len(messages) == 3  # two notes missing, one photo missing

    record_note(critical, "留样不足125克", inspector)
    record_note(general, "排水沟有残渣", inspector)
    with pytest.raises(NotReady) as refused:
        submit(strip, inspector)
    assert [p.item for p in refused.value.problems] == [critical]


def test_submit_locks_and_makes_findings(app, cast, setting, strip):
    from app.inspections.recording import attach_photo

    inspector = cast.inspector
    critical, general = strip.items
    record_answer(critical, Answer.FAIL, inspector)
    record_note(critical, "留样不足125克", inspector)
    attach_photo(critical, jpeg(), inspector, latitude=32.05, longitude=118.78)
    record_answer(general, Answer.PASS, inspector)
    findings = submit(strip, inspector, "总体良好")
    db.session.commit()

    assert strip.status == Status.SUBMITTED and strip.ended_at is not None
    (finding,) = findings
    assert (finding.title, finding.severity, finding.deduction) == (
        "食品留样",
        Severity.CRITICAL,
        Decimal("5"),
    )
    assert finding.contractor_id == cast.own.id
    assert finding.site_id == setting.kitchen.id and finding.note == "留样不足125克"
    assert len(finding.photos) == 1 and finding.photos[0].latitude == 32.05
    with pytest.raises(Refused):
        record_answer(general, Answer.FAIL, inspector)
    events = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.object_type == "inspections")
    ).all()
    assert events == ["inspection_started", "inspection_submitted"]


def test_only_the_inspectors_on_it_record(cast, strip):
    with pytest.raises(Refused):
        record_answer(strip.items[0], Answer.PASS, cast.second_inspector)


def test_the_fast_tap_path_and_the_full_check_agree_on_who_records(cast, strip):
    """tap_target (one statement) and ensure_can_record (the loaded inspection) ask the same
    rule: each person, on a draft and on a submitted check."""
    item = strip.items[0]
    strip.inspectors.append(cast.manager)
    db.session.commit()
    for status in (Status.DRAFT, Status.SUBMITTED):
        strip.status = status
        db.session.commit()
        for user in (cast.inspector, cast.manager, cast.second_inspector, cast.owner, cast.admin):
            allowed = refusal_to_record(strip, user) is None
            assert allowed is (status == Status.DRAFT and user in (cast.inspector, cast.manager))
            assert (tap_target(strip.id, item.id, user) is not None) is allowed
            assert can_record(strip, user) is allowed
    assert tap_target(strip.id + 1, item.id, cast.inspector) is None, "not that inspection's item"


def test_self_checks_a_user_sees_are_those_can_see_inspection_allows(cast, setting, strip):
    plan = Plan(Scope.BLOCK, setting.kitchen, contractor=cast.own)
    own_check = start_inspection(plan, cast.owner)
    own_check.self_check = True
    db.session.commit()
    for user in (cast.owner, cast.colleague, cast.outsider, cast.inspector, cast.manager):
        listed = set(db.session.scalars(sa.select(Inspection.id).where(visible_self_checks(user))))
        assert listed == ({own_check.id} if can_see_inspection(user, own_check) else set())
    assert not can_see_inspection(cast.outsider, own_check)
    assert can_see_inspection(cast.colleague, own_check)
    listed = sa.select(Inspection.id).where(listed_inspections(cast.second_inspector))
    assert set(db.session.scalars(listed)) == set(), "an inspector lists only their own"
    listed = sa.select(Inspection.id).where(listed_inspections(cast.manager))
    assert set(db.session.scalars(listed)) == {strip.id, own_check.id}


def submitted(cast, strip):
    for item in strip.items:
        record_answer(item, Answer.PASS, cast.inspector)
    submit(strip, cast.inspector)
    db.session.commit()
    return strip


def test_manager_reopens_with_a_reason_and_it_is_audited(cast, setting, strip):
    inspection = submitted(cast, strip)
    with pytest.raises(Refused):
        reopen(inspection, cast.inspector, "录入错误")
    with pytest.raises(Refused):
        reopen(inspection, cast.manager, "  ")
    reopen(inspection, cast.manager, "录入错误")
    db.session.commit()
    assert inspection.status == Status.DRAFT
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "inspection_reopened")
    )
    assert event.detail == "录入错误" and event.actor_id == cast.manager.id
    record_answer(inspection.items[0], Answer.FAIL, cast.inspector)


# --- routes ---------------------------------------------------------------------------


def test_three_taps_start_a_spot_check(client, cast, setting):
    login(client, cast.inspector)
    line = setting.food.category.service_line
    kinds = client.get("/inspections/new").text
    assert f"/inspections/new?line={line.id}" in kinds
    places = client.get(f"/inspections/new?line={line.id}").text
    assert f"site={setting.kitchen.id}" in places and "大堂" not in places
    go = client.get(f"/inspections/new?line={line.id}&site={setting.kitchen.id}")
    assert go.status_code == 200 and "开始检查" in go.text
    response = client.post(
        "/inspections/new",
        data={
            "line": line.id,
            "site": setting.kitchen.id,
            "tier": "ad_hoc",
            "schedule": "spot",
            "party": "internal",
        },
    )
    assert response.status_code == 302 and response.location.endswith("/run")
    inspection = db.session.scalar(sa.select(Inspection))
    assert (inspection.scope.value, inspection.schedule.value, inspection.party.value) == (
        "strip",
        "spot",
        "internal",
    )
    assert "进行中的检查" in client.get("/").text


def test_each_tap_is_saved_at_once(client, cast, strip):
    login(client, cast.inspector)
    item = strip.items[1]
    url = f"/inspections/{strip.id}/items/{item.id}/answer"
    first = client.post(url, data={"answer": "fail"}, headers={"HX-Request": "true"})
    assert first.status_code == 200 and first.text == ""  # the phone shows it already
    db.session.refresh(item)
    assert item.answer == Answer.FAIL and item.answered_by_id == cast.inspector.id
    changed = client.post(url, data={"answer": "fail"}, headers={"HX-Request": "true"})
    assert changed.status_code == 200  # a second answer: the card, with its history
    assert f'id="item-{item.id}"' in changed.text and 'hx-swap-oob="true"' in changed.text
    assert "不合格 1 项" in changed.text and "2 次作答" in changed.text
    no_js = client.post(url, data={"answer": "pass"})
    assert no_js.status_code == 302 and no_js.location.endswith(f"#item-{item.id}")
    db.session.refresh(item)
    assert item.answer == Answer.PASS
    assert client.post(url, data={"answer": "maybe"}).status_code == 400


def test_a_submitted_inspection_refuses_answers_with_a_message(client, cast, setting, strip):
    submitted(cast, strip)
    login(client, cast.inspector)
    item = strip.items[0]
    response = client.post(
        f"/inspections/{strip.id}/items/{item.id}/answer",
        data={"answer": "fail"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409 and "须由管理员重新打开" in response.text
    db.session.refresh(item)
    assert item.answer == Answer.PASS


def test_photo_upload_keeps_location_and_refuses_non_images(client, cast, strip):
    login(client, cast.inspector)
    item = strip.items[0]
    url = f"/inspections/{strip.id}/items/{item.id}/photos"
    client.post(f"/inspections/{strip.id}/items/{item.id}/answer", data={"answer": "fail"})
    refused = client.post(
        url,
        data={"photo": (io.BytesIO(b"%PDF-1.4"), "x.jpg")},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422 and "该文件不是照片" in refused.text
    truncated = jpeg()[:3000]
    refused = client.post(
        url,
        data={"photo": (io.BytesIO(truncated), "y.jpg")},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422 and "照片已损坏或不完整" in refused.text
    assert db.session.scalar(sa.select(sa.func.count(InspectionPhoto.id))) == 0

    accepted = client.post(
        url,
        data={
            "photo": (io.BytesIO(jpeg((4000, 3000))), "z.jpg"),
            "latitude": "32.0603",
            "longitude": "118.7969",
            "accuracy": "12",
            "taken_at_ms": "1795000000000",
        },
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert accepted.status_code == 200
    photo = db.session.scalar(sa.select(InspectionPhoto))
    assert (photo.latitude, photo.longitude, photo.accuracy_m) == (32.0603, 118.7969, 12.0)
    assert photo.taken_at is not None and max(photo.width, photo.height) == 2560
    assert f"/inspections/photos/{photo.id}?size=thumb" in accepted.text


@pytest.mark.parametrize(
    ("fields", "kept"),
    [
        ({"latitude": "32.0603", "longitude": "-181", "accuracy": "12"}, (None, None, None)),
        ({"latitude": "32.0603", "longitude": "nan", "accuracy": "12"}, (None, None, None)),
        ({"latitude": "91", "longitude": "118.7969", "accuracy": "12"}, (None, None, None)),
        ({"latitude": "32.0603", "accuracy": "12"}, (None, None, None)),
        (
            {"latitude": "32.0603", "longitude": "118.7969", "accuracy": "inf"},
            (32.0603, 118.7969, None),
        ),
        (
            {"latitude": "32.0603", "longitude": "118.7969", "accuracy": "nan"},
            (32.0603, 118.7969, None),
        ),
        (
            {"latitude": "32.0603", "longitude": "118.7969", "accuracy": "-5"},
            (32.0603, 118.7969, None),
        ),
    ],
)
def test_a_photos_position_is_read_as_the_scan_and_fix_forms_read_one(
    client, cast, strip, fields, kept
):
    """What is no place on Earth keeps no location (not half of one), an accuracy that is no
    distance is left out alone, and the photo is stored all the same."""
    login(client, cast.inspector)
    item = strip.items[0]
    client.post(f"/inspections/{strip.id}/items/{item.id}/answer", data={"answer": "fail"})
    response = client.post(
        f"/inspections/{strip.id}/items/{item.id}/photos",
        data={"photo": (io.BytesIO(jpeg()), "z.jpg"), **fields},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    photo = db.session.scalar(sa.select(InspectionPhoto))
    assert (photo.latitude, photo.longitude, photo.accuracy_m) == kept


def test_submit_route_lists_problems_then_locks(client, cast, strip):
    login(client, cast.inspector)
    refused = client.post(f"/inspections/{strip.id}/submit", data={"summary": ""})
    assert refused.status_code == 422 and "尚未提交" in refused.text
    for item in strip.items:
        client.post(f"/inspections/{strip.id}/items/{item.id}/answer", data={"answer": "na"})
    done = client.post(f"/inspections/{strip.id}/submit", data={"summary": "无异常"})
    assert done.status_code == 302 and done.location == f"/inspections/{strip.id}"
    assert client.get(f"/inspections/{strip.id}/run").status_code == 302


@pytest.fixture
def failed_with_photo(client, cast, strip):
    """The strip check submitted with one failure that carries a photo and hostile text."""
    from app.inspections.recording import attach_photo

    inspector = cast.inspector
    critical, general = strip.items
    record_answer(critical, Answer.FAIL, inspector)
    record_note(critical, "留样柜未上锁 <script>alert(1)</script>", inspector)
    attach_photo(critical, jpeg(), inspector)
    record_answer(general, Answer.PASS, inspector)
    submit(strip, inspector)
    db.session.commit()
    return strip


def test_report_page_and_pdf_show_the_failure(client, cast, failed_with_photo, tmp_path):
    login(client, cast.inspector)
    page = client.get(f"/inspections/{failed_with_photo.id}")
    assert page.status_code == 200
    assert "留样柜未上锁 &lt;script&gt;" in page.text and "<script>alert" not in page.text
    pdf = client.get(f"/inspections/{failed_with_photo.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "食品留样" in text and "留样柜未上锁" in text and "检查报告" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "CJK" in fonts and all(
        line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip()
    )
    images = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert len(images.splitlines()) >= 3, "the evidence photo is in the PDF"


# A contractor's users open inspections (their own self-checks), so one that is not theirs is
# simply not found, as for an inspector not on it.
@pytest.mark.parametrize("who, status", [("second_inspector", 404), ("owner", 404)])
def test_outsiders_cannot_open_an_inspection_or_its_photos(
    client, cast, failed_with_photo, who, status
):
    photo = failed_with_photo.items[0].photos[0]
    item = failed_with_photo.items[0]
    login(client, getattr(cast, who))
    for url in (
        f"/inspections/{failed_with_photo.id}",
        f"/inspections/{failed_with_photo.id}.pdf",
        f"/inspections/{failed_with_photo.id}/run",
        f"/inspections/photos/{photo.id}",
        f"/inspections/photos/{photo.id}?size=thumb",
    ):
        assert client.get(url).status_code == status, url
    answer = client.post(
        f"/inspections/{failed_with_photo.id}/items/{item.id}/answer", data={"answer": "pass"}
    )
    assert answer.status_code == status


def test_manager_sees_any_inspection_and_its_photo(client, cast, failed_with_photo):
    photo = failed_with_photo.items[0].photos[0]
    login(client, cast.manager)
    assert client.get(f"/inspections/{failed_with_photo.id}").status_code == 200
    with client.get(f"/inspections/photos/{photo.id}") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"


def test_reopen_route_is_for_managers_with_a_reason(client, cast, failed_with_photo):
    url = f"/inspections/{failed_with_photo.id}/reopen"
    login(client, cast.inspector)
    assert client.post(url, data={"reason": "错"}).status_code == 403
    client.post("/logout")
    login(client, cast.manager)
    client.post(url, data={"reason": ""})
    db.session.refresh(failed_with_photo)
    assert failed_with_photo.status == Status.SUBMITTED
    client.post(url, data={"reason": "照片拍错位置"})
    db.session.refresh(failed_with_photo)
    assert failed_with_photo.status == Status.DRAFT
    assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 0


def test_list_filters_by_kind_and_month_and_inspectors_see_their_own(client, cast, setting, strip):
    block = start_inspection(Plan(Scope.BLOCK, setting.kitchen), cast.second_inspector)
    db.session.commit()
    login(client, cast.manager)
    everything = client.get("/inspections").text
    assert f"#{strip.id} " in everything and f"#{block.id} " in everything
    strips = client.get("/inspections?scope=strip").text
    assert f"#{strip.id} " in strips and f"#{block.id} " not in strips
    month = month_of(as_utc(strip.started_at))  # by the bureau's calendar, as the list filters
    assert f"#{strip.id} " in client.get(f"/inspections?month={month}").text
    assert f"#{strip.id} " not in client.get("/inspections?month=2001-01").text
    assert client.get("/inspections?month=soon").status_code == 400
    assert client.get("/inspections?scope=sideways").status_code == 400
    fragment = client.get("/inspections?scope=block", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="inspection-results">')
    client.post("/logout")
    login(client, cast.inspector)
    own = client.get("/inspections").text
    assert f"#{strip.id} " in own and f"#{block.id} " not in own


def test_list_shows_how_many_items_each_inspection_failed(client, cast, setting, failed_with_photo):
    block = start_inspection(Plan(Scope.BLOCK, setting.kitchen), cast.second_inspector)
    db.session.commit()
    login(client, cast.manager)
    cards = client.get("/inspections").text.split('<li class="card">')[1:]
    counted = {card.split("#", 1)[1].split(" ", 1)[0]: "不合格 1 项" in card for card in cards}
    assert counted == {str(failed_with_photo.id): True, str(block.id): False}


def test_list_paginates(client, cast, setting):
    line = setting.food.category.service_line
    for _ in range(23):
        start_inspection(Plan(Scope.STRIP, setting.kitchen, service_line=line), cast.inspector)
    db.session.commit()
    login(client, cast.manager)
    first = client.get("/inspections").text
    assert "共 23 次检查" in first and "第 1 页，共 2 页" in first
    assert 'href="/inspections?page=2"' in first
    second = client.get(f"/inspections?page=2&line={line.id}").text
    assert "第 2 页，共 2 页" in second
    assert f'href="/inspections?page=1&amp;line={line.id}"' in second, "the filter goes along"


# --- replays and joint-check conflicts ---------------------------------------------------


def test_a_replayed_answer_counts_once(cast, strip):
    from app.inspections.models import AnswerRecord

    item = strip.items[0]
    key = "0b8a3c52-7d57-4c1e-9a57-3f1f6f0f6a01"
    assert record_answer(item, Answer.FAIL, cast.inspector, client_uuid=key) is True
    assert record_answer(item, Answer.PASS, cast.inspector, client_uuid=key) is False
    db.session.commit()
    db.session.expire_all()
    assert item.answer == Answer.FAIL, "the replay changed nothing"
    assert db.session.scalar(sa.select(sa.func.count(AnswerRecord.id))) == 1


def test_the_later_tap_wins_and_the_other_stays_in_history(cast, setting, make_site):
    from datetime import timedelta

    from app.core.timeutil import utcnow

    joint = start_inspection(
        Plan(Scope.STRIP, setting.kitchen, service_line=setting.food.category.service_line),
        cast.inspector,
        co_inspectors=[cast.second_inspector],
    )
    item = joint.items[0]
    now = utcnow()
    record_answer(item, Answer.PASS, cast.second_inspector, answered_at=now - timedelta(minutes=2))
    # The inspector was offline: the tap was earlier, it arrives later, it does not win.
    record_answer(item, Answer.FAIL, cast.inspector, answered_at=now - timedelta(minutes=5))
    assert item.answer == Answer.PASS and item.answered_by == cast.second_inspector
    # A tap after both wins.
    record_answer(item, Answer.FAIL, cast.inspector, answered_at=now - timedelta(minutes=1))
    db.session.commit()
    assert item.answer == Answer.FAIL
    assert [r.answer for r in item.history] == [Answer.FAIL, Answer.PASS, Answer.FAIL]


def test_answers_and_photos_replayed_through_the_routes_are_stored_once(client, cast, strip):
    from app.inspections.models import AnswerRecord

    login(client, cast.inspector)
    item = strip.items[0]
    answer_url = f"/inspections/{strip.id}/items/{item.id}/answer"
    key = "5f0c1f9e-2a4b-4f8e-8e49-0d6a2b7c9e10"
    for _ in range(2):
        response = client.post(
            answer_url,
            data={"answer": "fail", "client_uuid": key, "answered_at_ms": "1795000000000"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(AnswerRecord.id))) == 1
    assert (
        client.post(answer_url, data={"answer": "pass", "client_uuid": "nope"}).status_code == 400
    )

    photo_url = f"/inspections/{strip.id}/items/{item.id}/photos"
    photo_key = "9d7e0a58-1c3b-4b8f-a2d1-6e5f4c3b2a19"
    for _ in range(2):
        response = client.post(
            photo_url,
            data={"photo": (io.BytesIO(jpeg()), "p.jpg"), "client_uuid": photo_key},
            content_type="multipart/form-data",
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(InspectionPhoto.id))) == 1


def test_a_resend_racing_its_first_copy_is_a_replay_not_an_error(app, cast, strip):
    """The phone resends while the first copy is stored but not yet committed: the second
    copy's INSERT waits for the first transaction, then finds its UUID taken and stores
    nothing (no unique-key error), and the first copy's answer stands."""
    from app.inspections.models import AnswerRecord
    from app.inspections.recording import store_answer

    item_id, user_id = strip.items[0].id, cast.inspector.id
    key = "0b7f5f64-4b1e-4c8e-9a57-3f2d1c0b9a88"
    db.session.commit()
    second_copy = {}

    def resend():
        with app.app_context():
            second_copy["stored"] = store_answer(item_id, Answer.PASS, user_id, client_uuid=key)
            db.session.commit()

    with app.app_context():
        assert store_answer(item_id, Answer.FAIL, user_id, client_uuid=key) == (True, mock.ANY)
        racing = threading.Thread(target=resend)
        racing.start()
        racing.join(0.5)  # it waits on the first copy's uncommitted row (or has not started)
        db.session.commit()
    racing.join()
    assert second_copy["stored"] == (False, None)
    assert db.session.scalar(sa.select(sa.func.count(AnswerRecord.id))) == 1
    db.session.expire_all()
    assert strip.items[0].answer == Answer.FAIL


def test_recent_spot_checks_come_back_as_one_tap_plans(cast, setting, make_user):
    inspector = cast.inspector
    food = setting.food.category.service_line
    cleaning = setting.floor.category.service_line
    kitchen, compound = setting.kitchen, setting.compound
    started = [
        Plan(Scope.STRIP, kitchen, service_line=food),
        Plan(Scope.BLOCK, kitchen, contractor=cast.own),
        Plan(Scope.STRIP, compound, service_line=cleaning),
        Plan(Scope.STRIP, kitchen, service_line=food),  # again: offered once, as the newest
    ]
    for minutes, plan in enumerate(started):
        inspection = start_inspection(plan, inspector)
        inspection.started_at = utcnow() + timedelta(minutes=minutes)
    start_inspection(Plan(Scope.STRIP, compound, service_line=cleaning), cast.second_inspector)
    start_inspection(
        Plan(Scope.STRIP, kitchen, service_line=food), inspector, schedule=Schedule.SCHEDULED
    )
    db.session.commit()

    offered = [(p.scope, p.site, p.service_line, p.contractor) for p in recent_plans(inspector)]
    assert offered == [
        (Scope.STRIP, kitchen, food, None),
        (Scope.STRIP, compound, cleaning, None),
        (Scope.BLOCK, kitchen, None, cast.own),
    ]
    assert recent_plans(cast.manager) == []


def test_the_home_page_starts_a_recent_check_in_one_tap(client, cast, setting, strip):
    login(client, cast.inspector)
    home = client.get("/").text
    assert "一键再查" in home and f'name="site" value="{setting.kitchen.id}"' in home
    response = client.post(
        "/inspections/new",
        data={"site": setting.kitchen.id, "line": setting.food.category.service_line_id},
    )
    assert response.status_code == 302 and response.location.endswith("/run")


def test_an_inspection_photo_is_stamped_from_the_record_and_its_originals_kept(
    client, cast, strip, monkeypatch
):
    drawn = []
    draw_band = stamping._draw_band
    monkeypatch.setattr(
        stamping, "_draw_band", lambda image, lines: drawn.append(lines) or draw_band(image, lines)
    )
    login(client, cast.inspector)
    item = strip.items[0]
    marked, unmarked = jpeg((800, 600), (200, 30, 30)), jpeg((800, 600), (30, 200, 30))
    client.post(f"/inspections/{strip.id}/items/{item.id}/answer", data={"answer": "fail"})
    client.post(
        f"/inspections/{strip.id}/items/{item.id}/photos",
        data={
            "photo": (io.BytesIO(marked), "marked.jpg"),
            "original": (io.BytesIO(unmarked), "original.jpg"),
            "latitude": "32.0603",
            "longitude": "118.7969",
            "accuracy": "12",
            "taken_at_ms": "1795000000000",  # 2026-11-18 11:06:40 UTC
        },
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    photo = db.session.scalar(sa.select(InspectionPhoto))
    assert sha256(read_photo(photo.digest)) == photo.digest == store_photo(marked).digest
    assert photo.original_digest == store_photo(unmarked).digest
    assert photo.stamped_digest not in (None, photo.digest)
    sites = [item.site] if item.site else strip.sites
    received = as_utc(photo.uploaded_at).astimezone(LOCAL_TZ)
    assert drawn == [
        [
            f"拍摄 2026-11-18 19:06:40　接收 {received:%Y-%m-%d %H:%M:%S}",
            "地点 " + "；".join(site.path for site in sites),
            f"拍摄人 {cast.inspector.display_name}",
            f"检查点 {item.code} {item.title}",
            "位置 32.06030, 118.79690 ±12 m",
            code_line(photo.digest),
        ]
    ]
    assert client.get(f"/inspections/photos/{photo.id}").data == read_photo(photo.stamped_digest)
    thumb = client.get(f"/inspections/photos/{photo.id}?size=thumb").data
    assert thumb == read_photo(photo.stamped_digest, thumb=True)
    original = f"/inspections/photos/{photo.id}/original"
    assert client.get(original).data == read_photo(photo.digest)
    assert client.get(f"{original}?unmarked=1").data == read_photo(photo.original_digest)


def test_a_sent_photo_marked_up_takes_its_place_and_the_one_sent_is_kept(client, cast, strip):
    item = strip.items[0]
    record_answer(item, Answer.FAIL, cast.inspector)
    sent = attach_photo(item, jpeg((800, 600), (30, 200, 30)), cast.inspector)
    db.session.commit()
    first_digest, first_stamp = sent.digest, sent.stamped_digest
    marks_before = [(m.kind, m.detail) for m in marks_for("inspection", [sent.id]).get(sent.id, [])]
    login(client, cast.inspector)
    markup = f"/inspections/photos/{sent.id}/markup"
    assert client.get(markup).data == read_photo(first_digest), "drawn on as sent, unstamped"

    def mark_up(colour):
        return client.post(
            markup,
            data={"photo": (io.BytesIO(jpeg((800, 600), colour)), "photo.jpg")},
            content_type="multipart/form-data",
            headers={"HX-Request": "true"},
        )

    card = mark_up((200, 30, 30))
    assert card.status_code == 200 and f'id="item-{item.id}"' in card.text
    db.session.expire_all()
    photo = db.session.get(InspectionPhoto, sent.id)
    assert photo.digest == store_photo(jpeg((800, 600), (200, 30, 30))).digest
    assert photo.original_digest == first_digest
    assert photo.stamped_digest not in (None, first_stamp, photo.digest)
    assert client.get(f"/inspections/photos/{sent.id}").data == read_photo(photo.stamped_digest)
    assert [(m.kind, m.detail) for m in marks_for("inspection", [sent.id]).get(sent.id, [])] == (
        marks_before
    )

    # Marked up again: drawn on the photo as first sent, which stays the unmarked original.
    assert client.get(markup).data == read_photo(first_digest)
    assert mark_up((30, 30, 200)).status_code == 200
    db.session.expire_all()
    photo = db.session.get(InspectionPhoto, sent.id)
    assert photo.original_digest == first_digest
    assert photo.digest == store_photo(jpeg((800, 600), (30, 30, 200))).digest

    assert client.post(markup, data={}, headers={"HX-Request": "true"}).status_code == 422
    client.post("/logout")
    login(client, cast.second_inspector)
    assert client.get(markup).status_code == 404, "an inspector not on it does not see it"
    client.post("/logout")
    login(client, cast.manager)
    assert client.get(markup).status_code == 403, "a manager does not record the checklist"
    assert mark_up((10, 10, 10)).status_code == 409
    db.session.expire_all()
    assert db.session.get(InspectionPhoto, sent.id).digest == photo.digest


def test_a_submitted_checklists_photo_can_no_longer_be_marked_up(client, cast, failed_with_photo):
    photo = failed_with_photo.items[0].photos[0]
    digest = photo.digest
    login(client, cast.inspector)
    markup = f"/inspections/photos/{photo.id}/markup"
    assert client.get(markup).status_code == 403
    refused = client.post(
        markup,
        data={"photo": (io.BytesIO(jpeg()), "photo.jpg")},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 409
    db.session.expire_all()
    assert db.session.get(InspectionPhoto, photo.id).digest == digest


def test_a_photo_sent_without_an_original_has_none_to_open(client, cast, failed_with_photo):
    photo = failed_with_photo.items[0].photos[0]
    assert photo.original_digest is None and photo.stamped_digest
    login(client, cast.inspector)
    original = f"/inspections/photos/{photo.id}/original"
    assert client.get(original).data == read_photo(photo.digest)
    assert client.get(f"{original}?unmarked=1").status_code == 404
    report = client.get(f"/inspections/{failed_with_photo.id}").text
    assert photo.digest in report and original in report
