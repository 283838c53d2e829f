"""Complaints: the public form (bad, automated, repeated input), the private status link, and
the way from received to upheld (a finding that deducts, and a draft notice) or dismissed."""

import io
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from app.assessments.monthly import assess_month
from app.catalog.models import ServiceLine, SiteKind
from app.core import stamping
from app.core.evidence import MarkKind, mark_counts, marks_for
from app.core.extensions import db
from app.core.files import sha256
from app.core.photos import read_photo, store_photo
from app.core.refusals import Refused
from app.core.timeutil import clock_at, month_of, utcnow
from app.feedback.complaints import (
    accept,
    add_evidence,
    assign,
    dismiss,
    file_complaint,
    find_by_token,
    uphold,
)
from app.feedback.complaints import (
    stamp_facts as complaint_stamp_facts,
)
from app.feedback.models import Complaint, ComplaintChannel, ComplaintPhoto, ComplaintStatus
from app.inspections.models import Finding, Party
from app.inspections.repeats import repeats_of
from app.notices.models import Notice, NoticeStatus
from tests.helpers import jpeg, login


@pytest.fixture
def canteen(cast, make_check_point, make_site):
    """The canteen building, whose catering (one food safety point) the caterer `cast.own`
    provides."""
    point = make_check_point(line_code="CAT", category="食品安全", title="食品留样")
    canteen = make_site("机关食堂", SiteKind.BUILDING)
    cast.own.service_lines = [point.category.service_line]
    cast.own.sites = [canteen]
    db.session.commit()
    return canteen


def aged_stamp(app, seconds=30):
    """The stamp a form shown `seconds` ago carries (people take a while to type)."""
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="public-form")
    return serializer.dumps(time.time() - seconds)


def public_form(app, **fields):
    return {
        "subject": "午餐菜品变质",
        "description": "11月20日午餐的凉拌菜有异味，多人反映。",
        "location": "机关食堂二楼",
        "contact": "",
        "stamp": aged_stamp(app),
        "website": "",
        **fields,
    }


def test_a_recipient_files_a_complaint_and_follows_it_privately(app, client, cast):
    assert client.get("/feedback/complaint").status_code == 200
    sent = client.post("/feedback/complaint", data=public_form(app))
    assert sent.status_code == 200
    link = re.search(r'href="(http://localhost/feedback/complaint/[^"]+)"', sent.text).group(1)
    complaint = db.session.scalar(sa.select(Complaint))
    assert complaint.channel == ComplaintChannel.ONLINE
    assert link.rsplit("/", 1)[1] not in complaint.token_hash, "only the link's hash is kept"

    accept(complaint, cast.manager)
    add_evidence(complaint, cast.inspector, "现场查看留样，凉拌菜确有变质，厨师长承认未冷藏")
    db.session.commit()
    status = client.get(link.replace("http://localhost", ""))
    assert status.status_code == 200
    assert "调查中" in status.text and "午餐菜品变质" in status.text
    assert "厨师长承认" not in status.text, "the investigation stays inside"
    assert cast.inspector.display_name not in status.text
    assert client.get("/feedback/complaint/not-the-link").status_code == 404


@pytest.mark.parametrize(
    "change, why",
    [
        ({"subject": ""}, "missing subject"),
        ({"description": "x" * 2001}, "too long"),
        ({"website": "http://spam.example"}, "honeypot filled"),
        ({"stamp": "forged"}, "forged stamp"),
        ({"stamp": None}, "sent within a second of showing the form"),
    ],
)
def test_bad_and_automated_complaints_are_refused(app, client, change, why):
    fields = public_form(app, **change)
    if "stamp" in change and change["stamp"] is None:
        fields["stamp"] = URLSafeTimedSerializer(
            app.config["SECRET_KEY"], salt="public-form"
        ).dumps(time.time())
    response = client.post("/feedback/complaint", data=fields)
    assert response.status_code == 422, why
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 0


def test_one_network_cannot_flood_the_form(app, client):
    for _ in range(5):
        assert client.post("/feedback/complaint", data=public_form(app)).status_code == 200
    assert client.post("/feedback/complaint", data=public_form(app)).status_code == 429
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 5


def test_an_upheld_complaint_becomes_a_finding_that_deducts_and_a_draft_notice(cast, canteen):
    manager, inspector = cast.manager, cast.inspector
    complaint, token = file_complaint(
        ComplaintChannel.HOTLINE, "保安态度恶劣", "门岗保安对来访群众大声呵斥", logged_by=manager
    )
    assert find_by_token(token) is complaint
    with pytest.raises(Refused):
        accept(complaint, inspector)  # managers accept
    accept(complaint, manager)
    with pytest.raises(Refused):
        uphold(complaint, manager, "属实")  # not investigated, no one responsible yet
    add_evidence(complaint, inspector, "调取监控，情况属实", [jpeg()])
    assign(complaint, manager, cast.own, cast.own.service_lines[0], canteen)
    inspection = uphold(complaint, manager, "经核实投诉属实")
    db.session.commit()
    assert len(complaint.photos) == 1
    assert [p.digest for p in inspection.items[0].photos] == [complaint.photos[0].digest], (
        "the investigation's photo goes with the finding, onto the notice"
    )
    assert inspection.items[0].photos[0].stamped_digest == complaint.photos[0].stamped_digest

    assert complaint.status == ComplaintStatus.UPHELD and complaint.inspection is inspection
    assert inspection.party == Party.EXTERNAL
    finding = db.session.scalar(sa.select(Finding))
    assert (finding.title, finding.contractor_id) == ("保安态度恶劣", cast.own.id)
    assert finding.deduction == Decimal("3"), "the policy's points for an upheld complaint"
    notice = db.session.scalar(sa.select(Notice))
    assert notice.status == NoticeStatus.DRAFT and notice.contractor_id == cast.own.id
    result = next(r for r in assess_month(month_of(utcnow())) if r.contractor == cast.own)
    assert result.overall == Decimal("97")
    assert [e.label for line in result.lines for e in line.deductions] == ["保安态度恶劣"]
    assert [e.source for line in result.lines for e in line.deductions] == ["complaint"], (
        "the month's workbook names its source"
    )
    with pytest.raises(Refused):
        dismiss(complaint, manager, "改判")  # decided once


def test_a_dismissal_needs_its_reason_and_responsibility_a_matching_service(
    cast, canteen, make_site
):
    manager = cast.manager
    complaint, _ = file_complaint(ComplaintChannel.LIAISON, "会议室空调不冷", "三楼会议室")
    accept(complaint, manager)
    add_evidence(complaint, manager, "检测温度正常")
    other_line = ServiceLine(code="SEC", name="安保服务")
    db.session.add(other_line)
    with pytest.raises(Refused):
        assign(complaint, manager, cast.own, other_line, canteen)
    with pytest.raises(Refused):
        dismiss(complaint, manager, "  ")
    dismiss(complaint, manager, "现场检测温度符合标准")
    db.session.commit()
    assert complaint.status == ComplaintStatus.DISMISSED and complaint.decided_at is not None
    assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 0


def test_staff_pages_follow_the_steps(client, cast, canteen):
    assert client.get("/complaints").status_code == 302
    login(client, cast.owner)
    assert client.get("/complaints").status_code == 403
    client.post("/logout")

    login(client, cast.manager)
    logged = client.post(
        "/complaints/new",
        data={"channel": "hotline", "subject": "电梯停运", "description": "2号楼电梯停运半天"},
    )
    assert logged.status_code == 200 and "/feedback/complaint/" in logged.text
    complaint = db.session.scalar(sa.select(Complaint))
    base = f"/complaints/{complaint.id}"
    assert client.post(f"{base}/accept").status_code == 302
    assert client.post(f"{base}/evidence", data={"evidence": ""}).status_code == 422
    not_a_photo = client.post(
        f"{base}/evidence",
        data={"evidence": "见附件", "photo": (io.BytesIO(b"not an image"), "x.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "该文件不是照片" in not_a_photo.text
    client.post(
        f"{base}/evidence",
        data={"evidence": "维保记录显示故障", "photo": (io.BytesIO(jpeg()), "lift.jpg")},
        content_type="multipart/form-data",
    )
    db.session.refresh(complaint)
    assert complaint.status == ComplaintStatus.INVESTIGATING and len(complaint.photos) == 1
    thumb = client.get(f"/complaints/photos/{complaint.photos[0].id}?size=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    thumb.close()
    client.post(
        f"{base}/assign",
        data={
            "contractor": cast.own.id,
            "service_line": cast.own.service_lines[0].id,
            "site": canteen.id,
        },
    )
    client.post(f"{base}/uphold", data={"reason": "属实"})
    db.session.refresh(complaint)
    assert complaint.status == ComplaintStatus.UPHELD
    page = client.get(base)
    assert "投诉属实" in page.text and "由此投诉形成的问题和整改通知" in page.text
    assert client.post(f"{base}/nonsense").status_code == 404


@pytest.mark.parametrize(
    "locale, note",
    [
        ("zh_Hans", "投诉人将在其查询投诉进度的页面上看到此原因。"),
        ("en", "The complainant will see this reason on the page where they follow the complaint."),
    ],
)
def test_the_decision_s_reason_says_the_complainant_will_read_it(client, cast, locale, note):
    complaint, _token = file_complaint(ComplaintChannel.HOTLINE, "电梯停运", "2号楼电梯停运半天")
    accept(complaint, cast.manager)
    db.session.commit()
    login(client, cast.manager)
    client.post("/language", data={"lang": locale})
    page = client.get(f"/complaints/{complaint.id}").text
    reason = page[
        page.index('name="reason"') - 400 : page.index("</form>", page.index('name="reason"'))
    ]
    assert note in reason, "beside the reason shared by uphold and dismiss"
    assert 'aria-describedby="reason-help"' in reason


# --- sent again by the phone's outbox ---------------------------------------------------


def test_resent_complaint_evidence_is_kept_once(client, cast):
    complaint, _token = file_complaint(ComplaintChannel.HOTLINE, "饭菜变质", "凉拌菜有异味")
    db.session.commit()
    accept(complaint, cast.manager)
    db.session.commit()
    login(client, cast.inspector)
    key = str(uuid.uuid4())
    for _ in range(2):
        client.post(
            f"/complaints/{complaint.id}/evidence",
            data={
                "client_uuid": key,
                "evidence": "确有变质",
                "photo": (io.BytesIO(jpeg()), "e.jpg"),
            },
            content_type="multipart/form-data",
        )
    db.session.refresh(complaint)
    assert complaint.evidence.count("确有变质") == 1 and len(complaint.photos) == 1


def link_in(page: str) -> str:
    return re.search(r'href="http://localhost(/feedback/complaint/[^"]+)"', page).group(1)


def test_a_resent_public_complaint_is_filed_once_with_a_new_private_link(app, client):
    key = str(uuid.uuid4())
    form = {**public_form(app), "client_uuid": key}
    first = client.post(
        "/feedback/complaint", data={**form, "photos": (io.BytesIO(jpeg()), "a.jpg")}
    )
    again = client.post(
        "/feedback/complaint", data={**form, "photos": (io.BytesIO(jpeg()), "a.jpg")}
    )
    assert first.status_code == again.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 1
    photos = db.session.scalars(sa.select(ComplaintPhoto)).all()
    assert len(photos) == 1 and photos[0].uploaded_by_id is None, "the complainant's photo"
    assert client.get(link_in(again.text)).status_code == 200, "the link the phone now shows"
    assert client.get(link_in(first.text)).status_code == 404, "the lost answer's link is void"


def test_a_public_complaint_with_a_bad_photo_is_refused_with_its_reason(app, client):
    data = {**public_form(app), "photos": (io.BytesIO(b"not a photo"), "x.jpg")}
    response = client.post("/feedback/complaint", data=data)
    assert response.status_code == 422 and "不是照片" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 0


def test_complaints_never_make_repeats_and_a_dismissed_one_no_finding(cast, canteen):
    """A complaint's finding has no check point, so it repeats nothing and nothing repeats it;
    a dismissed complaint makes no finding at all."""
    findings = []
    for decision in ("uphold", "dismiss", "uphold"):
        complaint, _token = file_complaint(
            ComplaintChannel.HOTLINE, "饭菜不热", "午餐送到时已凉", logged_by=cast.manager
        )
        accept(complaint, cast.manager)
        add_evidence(complaint, cast.inspector, "现场测温")
        if decision == "dismiss":
            dismiss(complaint, cast.manager, "测温符合标准")
        else:
            assign(complaint, cast.manager, cast.own, cast.own.service_lines[0], canteen)
            findings.extend(uphold(complaint, cast.manager, "属实").findings)
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Finding.id))) == 2, "none for the dismissed"
    assert repeats_of(findings) == {}


def test_evidence_is_stamped_with_the_bureaus_time(cast):
    complaint, _ = file_complaint(ComplaintChannel.HOTLINE, "电梯困人", "一号楼电梯")
    accept(complaint, cast.manager)
    with clock_at(datetime(2026, 3, 31, 17, 30, tzinfo=UTC)):  # 01:30 the next day in Beijing
        add_evidence(complaint, cast.inspector, "维保记录显示故障")
    assert complaint.evidence.startswith("[2026-04-01 01:30 ")


def test_complaint_photos_are_stamped_the_publics_as_taken_by_the_public(cast, canteen):
    public, _token = file_complaint(
        ComplaintChannel.ONLINE, "饭菜变质", "凉拌菜有异味", photos=[jpeg()]
    )
    db.session.commit()
    photo = public.photos[0]
    assert photo.stamped_digest not in (None, photo.digest) and photo.original_digest is None
    lines = complaint_stamp_facts(public, None, photo.uploaded_at).lines()
    assert lines[2:] == ["拍摄人 公众", f"投诉 {public.reference} 饭菜变质"]

    accept(public, cast.manager)
    marked, unmarked = jpeg(color=(200, 30, 30)), jpeg(color=(30, 200, 30))
    add_evidence(public, cast.inspector, "现场查看留样", [marked], originals=[unmarked])
    db.session.commit()
    evidence = public.photos[1]
    assert sha256(read_photo(evidence.digest)) == evidence.digest == store_photo(marked).digest
    assert evidence.original_digest == store_photo(unmarked).digest
    assert evidence.stamped_digest not in (None, evidence.digest)
    lines = complaint_stamp_facts(public, cast.inspector, evidence.uploaded_at).lines()
    assert lines[2] == f"拍摄人 {cast.inspector.display_name}"


def test_a_photo_filed_with_the_complaint_is_stamped_with_its_reference(cast, monkeypatch):
    drawn = []
    draw = stamping._draw_band
    monkeypatch.setattr(
        stamping, "_draw_band", lambda image, lines: drawn.append(lines) or draw(image, lines)
    )
    complaint, _token = file_complaint(
        ComplaintChannel.ONLINE, "饭菜变质", "凉拌菜有异味", photos=[jpeg()]
    )
    db.session.commit()
    assert complaint.reference.startswith("TS")
    assert f"投诉 {complaint.reference} 饭菜变质" in drawn[0]


def test_supervisors_open_a_complaint_photos_original(client, cast):
    complaint, _token = file_complaint(
        ComplaintChannel.HOTLINE, "电梯停运", "半天", photos=[jpeg()]
    )
    db.session.commit()
    photo = complaint.photos[0]
    login(client, cast.inspector)
    assert client.get(f"/complaints/photos/{photo.id}").data == read_photo(photo.stamped_digest)
    original = f"/complaints/photos/{photo.id}/original"
    assert client.get(original).data == read_photo(photo.digest)
    assert photo.digest in client.get(f"/complaints/{complaint.id}").text
    client.post("/logout")
    login(client, cast.owner)
    assert client.get(original).status_code in (403, 404)


def test_an_upheld_complaints_marked_photo_keeps_its_mark_on_the_finding_counted_once(
    client, cast, canteen
):
    """The photo goes onto the finding and the notice: supervisors see its mark there too,
    and the marks counted against contractors stay as they were (the copy counts for none)."""
    file_complaint(ComplaintChannel.HOTLINE, "饭菜有异物", "午餐", photos=[jpeg()])
    again, _token = file_complaint(ComplaintChannel.ONLINE, "又有异物", "晚餐", photos=[jpeg()])
    accept(again, cast.manager)
    add_evidence(again, cast.inspector, "现场核实属实", [])
    assign(again, cast.manager, cast.own, cast.own.service_lines[0], canteen)
    db.session.commit()
    day = (utcnow() - timedelta(days=1), utcnow() + timedelta(days=1))
    counted = mark_counts(*day)
    inspection = uphold(again, cast.manager, "属实")
    db.session.commit()
    assert mark_counts(*day) == counted
    [copy] = inspection.items[0].photos
    assert [mark.kind for mark in marks_for("inspection", [copy.id])[copy.id]] == [MarkKind.REUSED]
    login(client, cast.manager)
    report = client.get(f"/inspections/{inspection.id}").text
    assert "与 投诉" in report and "的照片相同" in report
    client.post("/logout")
    login(client, cast.owner)
    shown = client.get(f"/inspections/{inspection.id}")
    assert "的照片相同" not in shown.text, "never to a contractor"


def test_a_reused_complaint_photo_shows_its_mark_to_supervisors_only(client, cast):
    first, _token = file_complaint(ComplaintChannel.HOTLINE, "电梯停运", "半天", photos=[jpeg()])
    again, token = file_complaint(ComplaintChannel.ONLINE, "电梯又停", "一天", photos=[jpeg()])
    db.session.commit()
    words = f"与 投诉 {first.reference} 的照片相同"
    login(client, cast.manager)
    page = client.get(f"/complaints/{again.id}").text
    assert words in page and f'href="/complaints/{first.id}"' in page
    assert "evidence-marks" not in client.get(f"/complaints/{first.id}").text
    client.post("/logout")
    login(client, cast.owner)  # a contractor sees no marks anywhere, nor this page
    shown = client.get(f"/complaints/{again.id}")
    assert shown.status_code in (403, 404) and words not in shown.text
    client.post("/logout")
    receipt = client.get(f"/feedback/complaint/{token}")  # the complainant's own page
    assert receipt.status_code == 200 and "电梯又停" in receipt.text and words not in receipt.text
