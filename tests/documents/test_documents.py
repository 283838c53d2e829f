"""Issued documents kept as issued: a version per change the document shows, stored once and
served as stored, each with a code and QR code that `/verify` checks, as does the file."""

import io
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
import zxingcpp
from jinja2 import ChoiceLoader, DictLoader
from PIL import Image

from app.assessments.bulletins import get_or_create, publish
from app.core.extensions import db
from app.core.files import sha256, store_content
from app.core.timeutil import LOCAL_TZ, utcnow
from app.documents import versions as versions_module
from app.documents.checks import CHECKS_PER_ADDRESS
from app.documents.models import DocumentVersion
from app.documents.versions import (
    CODE_ALPHABET,
    CODE_LENGTH,
    Issued,
    find_by_code,
    freeze,
    normalised,
)
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import record_answer
from app.jobs.clock import escalation
from app.notices.lifecycle import report_fix
from app.notices.models import ExitWarning, NoticePolicy
from tests.helpers import jpeg, login
from tests.notices.test_notices import drafts, inspection, kitchen  # noqa: F401


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return text.stdout.replace(" ", "")


def versions(kind: str, record_id: int) -> list[DocumentVersion]:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(DocumentVersion)
        .where(DocumentVersion.kind == kind, DocumentVersion.record_id == record_id)
        .order_by(DocumentVersion.version)
    ).all()


@pytest.fixture
def issued_by_hand(client, cast, drafts):  # noqa: F811
    """The caterer's notice, issued by an inspector through the site."""
    notice = drafts[cast.own.id]
    login(client, cast.inspector)
    assert client.post(f"/notices/{notice.id}/issue").status_code == 302
    client.post("/logout")
    db.session.expire_all()
    return notice


def test_each_change_the_notice_shows_is_a_new_stored_version(
    client, cast, issued_by_hand, tmp_path
):
    notice = issued_by_hand
    [first] = versions("notice", notice.id)
    assert (first.version, first.number, first.addressee) == (1, notice.number, "禾香餐饮")

    login(client, cast.owner)
    client.post(f"/notices/{notice.id}/acknowledge")
    client.get(f"/notices/{notice.id}")  # reading it changes nothing it shows
    item = notice.items[0]
    client.post(
        f"/notices/{notice.id}/items/{item.id}/fix",
        data={"note": "已补足留样", "photos": [(io.BytesIO(jpeg()), "fix.jpg")]},
    )
    client.post("/logout")
    login(client, cast.inspector)
    client.post(f"/notices/{notice.id}/items/{item.id}/verify", data={"decision": "accept"})

    kept = versions("notice", notice.id)
    assert [v.version for v in kept] == [1, 2, 3, 4], "issued, acknowledged, fix, accepted"
    assert "1 of 2" in kept[-1].state_label or "1/2" in kept[-1].state_label
    assert len({v.code for v in kept}) == 4 and len({v.digest for v in kept}) == 4

    page = client.get(f"/notices/{notice.id}").text
    for v in kept:
        assert f"/notices/{notice.id}.pdf?version={v.version}" in page and v.shown_code in page
    latest = client.get(f"/notices/{notice.id}.pdf")
    assert sha256(latest.data) == kept[-1].digest, "the download is the stored latest version"
    first_again = client.get(f"/notices/{notice.id}.pdf?version=1")
    assert sha256(first_again.data) == kept[0].digest
    text = pdf_text(first_again.data, tmp_path)
    assert kept[0].shown_code in text and "第1版" in text
    assert "已签收" not in text.split("签收")[0], "version 1 shows no receipt yet"
    assert client.get(f"/notices/{notice.id}.pdf?version=9").status_code == 404


@pytest.mark.parametrize("kind, path", [("notice", "/notices"), ("report", "/inspections")])
def test_a_document_kept_before_versions_is_frozen_once_when_downloaded_by_several_at_once(
    app, client, cast, issued_by_hand, monkeypatch, kind, path
):
    """Four first downloads at once of a document issued before versions were kept: each
    reads that none is kept and renders one; the first stored wins, and the others serve it
    rather than fail on its unique key."""
    record_id = issued_by_hand.id if kind == "notice" else issued_by_hand.inspection_id
    db.session.execute(sa.delete(DocumentVersion))
    db.session.commit()
    downloads = 4
    all_rendered = threading.Barrier(downloads, timeout=60)

    def store_when_all_have_rendered(stored_as, pdf):
        all_rendered.wait()  # every download has found no version and rendered its own
        return store_content(stored_as, pdf)

    monkeypatch.setattr(versions_module, "store_content", store_when_all_have_rendered)
    phones = [app.test_client() for _ in range(downloads)]
    for phone in phones:
        login(phone, cast.manager)
    with ThreadPoolExecutor(downloads) as pool:
        answers = list(pool.map(lambda phone: phone.get(f"{path}/{record_id}.pdf"), phones))

    assert [answer.status_code for answer in answers] == [200] * downloads
    [kept] = versions(kind, record_id)
    assert kept.version == 1
    assert {sha256(answer.data) for answer in answers} == {kept.digest}


def test_two_states_of_a_document_frozen_at_once_are_kept_one_after_the_other(app):
    """Two requests freeze one document at once, each as it shows a different state: the
    later to store renders again as the next version instead of losing its state."""
    all_read = threading.Barrier(2, timeout=60)

    def as_shown(state: str) -> Issued:
        def render(stamp) -> bytes:
            if stamp.version == 1:
                all_read.wait()  # both found no version yet
            return f"%PDF {state} v{stamp.version} {stamp.code}".encode()

        return Issued(
            "warning", 7, "退出警告〔2026〕第001号", "禾香餐饮", utcnow(), state, state, render
        )

    def freeze_in_own_request(state: str) -> tuple[int, str]:
        with app.app_context():
            kept = freeze(as_shown(state))
            db.session.commit()
            return kept.version, kept.state_key

    with ThreadPoolExecutor(2) as pool:
        frozen = sorted(pool.map(freeze_in_own_request, ["issued", "withdrawn"]))

    assert [version for version, _state in frozen] == [1, 2]
    assert [(v.version, v.state_key) for v in versions("warning", 7)] == frozen


def test_a_stored_notice_is_unchanged_by_a_later_template_change(
    app,
    client,
    cast,
    issued_by_hand,
    drafts,  # noqa: F811
    tmp_path,
):
    notice = issued_by_hand
    login(client, cast.manager)
    before = client.get(f"/notices/{notice.id}.pdf").data
    body = app.jinja_env.loader.get_source(app.jinja_env, "notices/_notice_body.html")[0]
    changed = body.replace('<article class="document">', '<article class="document"><p>新版式</p>')
    assert changed != body
    app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"notices/_notice_body.html": changed}), app.jinja_env.loader]
    )
    app.jinja_env.cache.clear()
    assert "新版式" in client.get(f"/notices/{notice.id}").text, "the new template is in use"
    assert client.get(f"/notices/{notice.id}.pdf").data == before, "served as stored"
    assert "新版式" not in pdf_text(before, tmp_path)
    other = drafts[cast.other.id]
    assert client.post(f"/notices/{other.id}/issue").status_code == 302
    assert "新版式" in pdf_text(client.get(f"/notices/{other.id}.pdf").data, tmp_path)


def test_verify_by_code_and_by_file_says_what_the_document_is_and_nothing_more(
    client, cast, issued_by_hand
):
    notice = issued_by_hand
    [kept] = versions("notice", notice.id)
    login(client, cast.manager)
    pdf = client.get(f"/notices/{notice.id}.pdf").data
    client.post("/logout")

    for typed in (kept.shown_code, kept.code.lower(), f" {kept.code[:6]} {kept.code[6:]} "):
        answer = client.get("/verify", query_string={"code": typed})
        assert answer.status_code == 200, typed
        assert notice.number in answer.text and "禾香餐饮" in answer.text
        assert "第 1 版" in answer.text
        assert "食品留样" not in answer.text, "the findings are not shown to the public"

    by_file = client.post("/verify", data={"pdf": (io.BytesIO(pdf), "notice.pdf")})
    assert by_file.status_code == 200 and notice.number in by_file.text

    tampered = bytearray(pdf)
    tampered[len(pdf) // 2] ^= 1
    tampered = bytes(tampered)
    refused = client.post("/verify", data={"pdf": (io.BytesIO(tampered), "notice.pdf")})
    assert refused.status_code == 404 and notice.number not in refused.text
    made_up = client.get("/verify", query_string={"code": "ABCD-EFGH-JKMN"})
    assert made_up.status_code == 404 and "没有相符的已签发文书" in made_up.text
    assert client.post("/verify", data={}).status_code == 422


def test_verification_is_rate_limited_per_network(client, cast, issued_by_hand):
    [kept] = versions("notice", issued_by_hand.id)
    for n in range(CHECKS_PER_ADDRESS - 1):
        assert client.get("/verify", query_string={"code": f"ZZZZ-ZZZZ-{n:04d}"}).status_code == 404
    assert client.get("/verify", query_string={"code": kept.code}).status_code == 200
    limited = client.get("/verify", query_string={"code": kept.code})
    assert limited.status_code == 429 and "核验次数过多" in limited.text


def test_codes_are_long_random_and_forgiving_to_type(client, cast, issued_by_hand):
    [kept] = versions("notice", issued_by_hand.id)
    assert len(kept.code) == CODE_LENGTH and set(kept.code) <= set(CODE_ALPHABET)
    assert len(CODE_ALPHABET) ** CODE_LENGTH >= 2**60
    assert normalised("o1l-i") == "0111"
    assert find_by_code(kept.code[:-1]) is None, "a prefix finds nothing"


def test_the_printed_qr_code_opens_the_verification_of_that_version(
    app, client, cast, issued_by_hand, tmp_path
):
    [kept] = versions("notice", issued_by_hand.id)
    login(client, cast.owner)
    path = tmp_path / "notice.pdf"
    path.write_bytes(client.get(f"/notices/{issued_by_hand.id}.pdf").data)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "p")], check=True)
    decoded = {
        result.text
        for png in sorted(tmp_path.glob("p*.png"))
        for result in zxingcpp.read_barcodes(Image.open(png))
    }
    [url] = decoded
    assert url == f"{app.config['PUBLIC_URL']}/verify?code={kept.shown_code}"
    answer = client.get(url.removeprefix(app.config["PUBLIC_URL"]))
    assert answer.status_code == 200 and issued_by_hand.number in answer.text


def test_an_outsider_cannot_download_any_version(client, cast, issued_by_hand):
    login(client, cast.outsider)
    for url in (f"/notices/{issued_by_hand.id}.pdf", f"/notices/{issued_by_hand.id}.pdf?version=1"):
        assert client.get(url).status_code == 404, url


def test_exit_warnings_are_kept_when_raised_on_the_site_and_by_the_clock(
    client, cast, issued_by_hand, tmp_path
):
    notice = issued_by_hand
    login(client, cast.owner)
    client.post(f"/notices/{notice.id}/acknowledge")
    db.session.expire_all()
    db.session.merge(NoticePolicy(id=1, warning_after_rejections=1))
    item = notice.items[0]
    report_fix(item, cast.owner, "已整改", [jpeg()])
    db.session.commit()
    client.post("/logout")
    login(client, cast.inspector)
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(LOCAL_TZ)
    client.post(
        f"/notices/{notice.id}/items/{item.id}/verify",
        data={
            "decision": "reject",
            "reason": "未到位",
            "new_deadline": tomorrow.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    warning = db.session.scalar(sa.select(ExitWarning))
    [kept] = versions("warning", warning.id)
    assert kept.number == warning.number and kept.addressee == "禾香餐饮"
    stored = client.get(f"/warnings/{warning.id}.pdf")
    assert sha256(stored.data) == kept.digest
    assert kept.shown_code in pdf_text(stored.data, tmp_path)
    assert kept.shown_code in client.get(f"/warnings/{warning.id}").text


def test_an_exit_warning_the_clock_raises_is_kept(cast, issued_by_hand):
    escalation(utcnow() + timedelta(days=60))
    db.session.commit()
    warning = db.session.scalar(sa.select(ExitWarning))
    [kept] = versions("warning", warning.id)
    assert kept.number == warning.number


def test_a_submitted_report_is_kept_and_a_resubmission_is_a_new_version(
    client,
    cast,
    kitchen,  # noqa: F811
    tmp_path,
):
    checked = start_inspection(Plan(Scope.BLOCK, kitchen), cast.inspector)
    for item in checked.items:
        record_answer(item, Answer.PASS, cast.inspector)
    db.session.commit()
    login(client, cast.inspector)
    submitted = client.post(f"/inspections/{checked.id}/submit", data={"summary": "良好"})
    assert submitted.status_code == 302
    [first] = versions("report", checked.id)
    pdf = client.get(f"/inspections/{checked.id}.pdf").data
    assert sha256(pdf) == first.digest and first.shown_code in pdf_text(pdf, tmp_path)

    client.post("/logout")
    login(client, cast.manager)
    assert (
        client.post(f"/inspections/{checked.id}/reopen", data={"reason": "补录"}).status_code == 302
    )
    client.post("/logout")
    login(client, cast.inspector)
    client.post(f"/inspections/{checked.id}/submit", data={"summary": "良好，已补录"})
    assert [v.version for v in versions("report", checked.id)] == [1, 2]
    assert client.get(f"/inspections/{checked.id}.pdf?version=1").data == pdf


def test_publishing_a_bulletin_keeps_it_as_a_version_with_its_code(app, cast, tmp_path):
    month = utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m")
    bulletin = get_or_create(month)
    publish(bulletin, cast.manager)
    db.session.commit()
    [kept] = versions("bulletin", bulletin.id)
    assert kept.digest == bulletin.pdf_digest and kept.addressee == "各服务单位"
