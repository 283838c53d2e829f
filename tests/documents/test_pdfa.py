"""Issued documents are stored as PDF/A-3b, the form archives keep: declared so in the file's
XMP metadata, with the sRGB output intent and its ICC profile, every font embedded, no image
the viewer smooths, and the document's title, number, issuer and date in its metadata.

No PDF/A validator is installed: these read the file with poppler (pdfinfo, pdffonts) and
find the output intent in its (compressed) objects."""

import re
import subprocess
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from xml.etree import ElementTree

import sqlalchemy as sa

from app.analysis.models import AnalysisMeeting
from app.assessments.bulletins import get_or_create, publish
from app.core.extensions import db
from app.core.files import Kind, read_stored
from app.core.timeutil import LOCAL_TZ, as_utc, utcnow
from app.documents.versions import latest, stored_as
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import record_answer
from app.jobs.clock import escalation
from app.notices.models import ExitWarning
from tests.documents.test_documents import issued_by_hand  # noqa: F401
from tests.helpers import login
from tests.notices.test_notices import drafts, inspection, kitchen  # noqa: F401

DEPARTMENT = "后勤服务监管科"
XMP = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}
STREAM = re.compile(rb"(\d+) 0 obj\s*<<(.*?)>>\s*stream\r?\n", re.S)


@dataclass(frozen=True)
class Metadata:
    """What the file says of itself, in its XMP packet and its document information."""

    part: str | None
    conformance: str | None
    title: str | None
    creators: list[str]
    keywords: str | None
    created: str | None
    info: dict[str, str]


def poppler(tool: str, *args: str, path) -> str:
    return subprocess.run(
        [tool, *args, str(path)], capture_output=True, text=True, check=True
    ).stdout


def metadata_of(path) -> Metadata:
    packet = poppler("pdfinfo", "-meta", path=path)
    assert "<x:xmpmeta" in packet, "no XMP metadata, so no PDF/A declaration"
    rdf = ElementTree.fromstring(packet[packet.index("<x:xmpmeta") : packet.index("<?xpacket end")])

    def attribute(prefix: str, name: str) -> str | None:
        key = f"{{{XMP[prefix]}}}{name}"
        return next(
            (d.get(key) for d in rdf.iter(f"{{{XMP['rdf']}}}Description") if key in d.attrib), None
        )

    def text(path: str) -> str | None:
        found = rdf.find(f".//{path}", XMP)
        return found.text if found is not None else None

    info = dict(
        line.split(":", 1) for line in poppler("pdfinfo", "-isodates", path=path).splitlines()
    )
    return Metadata(
        part=attribute("pdfaid", "part"),
        conformance=attribute("pdfaid", "conformance"),
        title=text("dc:title/rdf:Alt/rdf:li"),
        creators=[li.text for li in rdf.findall(".//dc:creator/rdf:Seq/rdf:li", XMP)],
        keywords=text("pdf:Keywords"),
        created=text("xmp:CreateDate"),
        info={key.strip(): value.strip() for key, value in info.items()},
    )


def streams(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Each stream object by number: its dictionary and its decompressed content."""
    found = {}
    for match in STREAM.finditer(data):
        content = data[match.end() :]
        if b"/FlateDecode" in match[2]:
            content = zlib.decompressobj().decompress(content)
        found[int(match[1])] = (match[2], content)
    return found


def output_intent_profile(data: bytes) -> bytes:
    """The ICC profile the PDF/A output intent names: the intent may sit in a compressed
    object stream, the profile is a stream of its own."""
    objects = streams(data)
    intents = [
        re.search(rb"/S /GTS_PDFA1.*?/DestOutputProfile (\d+) 0 R", content, re.S)
        for content in (data, *(content for _dictionary, content in objects.values()))
        if b"/Type /OutputIntent" in content
    ]
    [intent] = [found for found in intents if found]
    dictionary, profile = objects[int(intent[1])]
    assert b"/N 3" in dictionary, "three components: RGB"
    return profile


def assert_archival(pdf: bytes, tmp_path) -> Metadata:
    """The file is PDF/A-3b as declared, with its output intent and every font embedded."""
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    assert pdf.startswith(b"%PDF-1.7\n")
    metadata = metadata_of(path)
    assert (metadata.part, metadata.conformance) == ("3", "B")
    profile = output_intent_profile(pdf)
    assert profile[36:40] == b"acsp" and profile[16:20] == b"RGB ", "an RGB ICC profile"
    fonts = poppler("pdffonts", path=path).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), "every font embedded"
    assert b"/Interpolate true" not in pdf, "PDF/A forbids smoothed images"
    return metadata


def assert_issued_as(metadata: Metadata, *, title: str, number, issuer: str, dated) -> None:
    """The title (with the number), the number, the issuer and the date, alike in the XMP
    packet and the document information, as PDF/A requires."""
    assert title in metadata.title and (number is None or number in metadata.title)
    assert metadata.info["Title"] == metadata.title
    assert metadata.keywords == number and metadata.info.get("Keywords") == number
    assert metadata.creators == [issuer] and metadata.info["Author"] == issuer
    if isinstance(dated, datetime):
        moment = as_utc(dated).astimezone(LOCAL_TZ).replace(microsecond=0)
        assert metadata.created == moment.isoformat()
        assert metadata.info["CreationDate"] == moment.isoformat()[: -len(":00")]
    else:
        assert metadata.created == dated.isoformat()
        assert metadata.info["CreationDate"].startswith(dated.isoformat())


def stored(kind: str, record_id: int) -> bytes:
    kept = latest(kind, record_id)
    return read_stored(stored_as(kind), kept.digest)


def test_an_issued_notice_is_stored_as_pdf_a_with_its_number_issuer_and_date(
    client,
    cast,
    issued_by_hand,  # noqa: F811
    tmp_path,
):
    notice = issued_by_hand
    pdf = stored("notice", notice.id)
    login(client, cast.manager)
    assert client.get(f"/notices/{notice.id}.pdf").data == pdf, "the stored file is served"
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    assert poppler("pdfimages", "-list", path=path).splitlines()[2:], "its photos, unsmoothed"
    assert_issued_as(
        assert_archival(pdf, tmp_path),
        title="整改通知书",
        number=notice.number,
        issuer=f"{DEPARTMENT}（{cast.inspector.display_name}）",
        dated=notice.issued_at,
    )


def test_an_exit_warning_is_stored_as_pdf_a(cast, issued_by_hand, tmp_path):  # noqa: F811
    escalation(utcnow() + timedelta(days=60))
    db.session.commit()
    warning = db.session.scalar(sa.select(ExitWarning))
    assert_issued_as(
        assert_archival(stored("warning", warning.id), tmp_path),
        title="书面退出警告",
        number=warning.number,
        issuer=DEPARTMENT,
        dated=warning.issued_at,
    )


def test_a_submitted_report_is_stored_as_pdf_a(
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
    assert (
        client.post(f"/inspections/{checked.id}/submit", data={"summary": "良好"}).status_code
        == 302
    )
    db.session.expire_all()
    number = f"检查报告 第{checked.id}号"
    assert latest("report", checked.id).number == number
    assert_issued_as(
        assert_archival(stored("report", checked.id), tmp_path),
        title=number,
        number=number,
        issuer=cast.inspector.display_name,
        dated=checked.ended_at,
    )


def test_a_published_bulletin_is_stored_as_pdf_a(cast, tmp_path):
    month = utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m")
    bulletin = get_or_create(month)
    publish(bulletin, cast.manager)
    db.session.commit()
    assert_issued_as(
        assert_archival(read_stored(Kind.BULLETIN, bulletin.pdf_digest), tmp_path),
        title=f"{month} 月度通报",
        number=f"{month} 月度通报",
        issuer=DEPARTMENT,
        dated=bulletin.published_at,
    )


def test_a_meeting_pack_is_stored_as_pdf_a_dated_by_its_meeting(client, cast, tmp_path):
    """A meeting pack has no number: its title names the day it was held."""
    login(client, cast.manager)
    kept = client.post(
        "/analysis/meetings?period=month",
        data={"held_on": "2026-11-30", "measures": "留样由专人负责"},
    )
    assert kept.status_code == 302
    meeting = db.session.scalar(sa.select(AnalysisMeeting))
    assert_issued_as(
        assert_archival(read_stored(Kind.MEETING_PACK, meeting.pdf_digest), tmp_path),
        title="质量分析例会 2026-11-30",
        number=None,
        issuer=DEPARTMENT,
        dated=date(2026, 11, 30),
    )
