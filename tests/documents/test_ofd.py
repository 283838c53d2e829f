"""Issued notices, exit warnings and published bulletins as OFD (GB/T 33190-2016): made from
the stored PDF of the same version, read back by an independent reader (easyofd), stored
once, and given to exactly whom the PDF is given."""

import io
import subprocess
import warnings
import zipfile
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from loguru import logger
from lxml import etree

from app.assessments.bulletins import get_or_create, publish
from app.core.extensions import db
from app.core.files import Kind, is_stored, sha256
from app.core.ofd import OFD_NS
from app.core.timeutil import LOCAL_TZ, utcnow
from app.documents import ofd as ofd_module
from app.documents.models import DocumentVersion
from app.notices.lifecycle import raise_warning
from app.notices.models import WarningReason
from tests.documents.test_documents import issued_by_hand  # noqa: F401
from tests.helpers import login
from tests.notices.test_notices import drafts, inspection, kitchen  # noqa: F401

KINDS = ("notice", "warning", "bulletin")


@dataclass
class Document:
    kind: str
    path: str  # without the extension
    filename: str  # the download's name, without the version and extension
    heading: str  # how its text names it
    body: str  # a line of what it says


@dataclass
class ReadBack:
    text: str  # every text object's text, spaces left out
    pages: int
    custom: dict[str, str]
    info: dict[str, str]


def read_ofd(data: bytes, tmp_path, monkeypatch) -> ReadBack:
    """The OFD as easyofd reads it; its custom data and document information as OFD.xml says."""
    logger.disable("easyofd")  # it warns of fonts it cannot find, at import
    from easyofd.ofd import OFD

    monkeypatch.chdir(tmp_path)  # easyofd unpacks into the working folder
    reader = OFD()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)  # it leaves the files it read open
        reader.read(data, fmt="binary")
    [document] = reader.data
    text = "".join(
        cell["text"] for page in document["page_info"].values() for cell in page["text_list"]
    )
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("OFD.xml"))
    info = root.find(f"{{{OFD_NS}}}DocBody/{{{OFD_NS}}}DocInfo")
    return ReadBack(
        text=text.replace(" ", ""),
        pages=len(document["page_info"]),
        custom={c.get("Name"): c.text for c in info.iter(f"{{{OFD_NS}}}CustomData")},
        info={etree.QName(e).localname: e.text for e in info if e.text},
    )


def pdf_pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    said = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line for line in said.stdout.splitlines() if line.startswith("Pages:"))[6:])


def kept(kind: str, version: int | None = None) -> DocumentVersion:
    db.session.expire_all()
    query = sa.select(DocumentVersion).where(DocumentVersion.kind == kind)
    if version is not None:
        query = query.where(DocumentVersion.version == version)
    return db.session.scalars(query.order_by(DocumentVersion.version.desc())).first()


@pytest.fixture
def document(request, cast, issued_by_hand) -> Document:  # noqa: F811
    """The caterer's issued notice, an exit warning on it, or this month's published bulletin."""
    notice = issued_by_hand
    if request.param == "notice":
        return Document(
            "notice",
            f"/notices/{notice.id}",
            f"notice-{notice.id}",
            notice.number,
            "食品留样不合格",
        )
    if request.param == "warning":
        warning = raise_warning(notice, WarningReason.LONG_OVERDUE, utcnow())
        db.session.commit()
        return Document(
            "warning",
            f"/warnings/{warning.id}",
            f"warning-{warning.id}",
            warning.number,
            "禾香餐饮：",
        )
    month = utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m")
    publish(get_or_create(month), cast.manager)
    db.session.commit()
    return Document(
        "bulletin",
        f"/bulletins/{month}",
        f"bulletin-{month}",
        f"月度通报{month[:4]}年第{int(month[5:])}期",
        "得分与排名",
    )


@pytest.mark.parametrize("document", KINDS, indirect=True)
def test_each_issued_document_downloads_as_an_ofd_made_from_its_stored_pdf(
    client, cast, document, tmp_path, monkeypatch
):
    login(client, cast.owner)
    pdf = client.get(f"{document.path}.pdf")
    page = client.get(document.path).text
    assert f'href="{document.path}.ofd"' in page and "下载 OFD" in page
    assert f'href="{document.path}.ofd?version=1"' in page  # beside each version's PDF
    answer = client.get(f"{document.path}.ofd")

    assert answer.status_code == 200
    assert answer.mimetype == "application/ofd"
    version = kept(document.kind)
    disposition = answer.headers["Content-Disposition"]
    assert f"filename={document.filename}-v{version.version}.ofd" in disposition
    assert zipfile.is_zipfile(io.BytesIO(answer.data))
    read = read_ofd(answer.data, tmp_path, monkeypatch)
    assert document.heading in read.text
    assert version.number in read.info["Title"]
    assert version.shown_code in read.text
    assert document.body.replace(" ", "") in read.text
    assert read.pages == pdf_pages(pdf.data, tmp_path)
    assert read.custom["核验码"] == version.shown_code
    assert read.custom["PDF SHA-256"] == version.digest == sha256(pdf.data)
    assert read.custom["文号"] == version.number
    assert read.info["Author"].startswith("后勤服务监管")
    assert read.info["DocID"] == version.digest[:32]


@pytest.mark.parametrize("document", KINDS, indirect=True)
def test_the_ofd_is_made_once_and_served_as_stored(client, cast, document, monkeypatch):
    made = []
    make = ofd_module.ofd_from_pdf

    def counted(pdf, described):
        made.append(described.doc_id)
        return make(pdf, described)

    monkeypatch.setattr(ofd_module, "ofd_from_pdf", counted)
    login(client, cast.manager)
    first = client.get(f"{document.path}.ofd")
    second = client.get(f"{document.path}.ofd")

    assert len(made) == 1
    assert first.data == second.data
    assert is_stored(Kind.ISSUED_OFD, kept(document.kind).digest)


@pytest.mark.parametrize("document", KINDS, indirect=True)
def test_the_ofd_is_refused_to_exactly_whom_the_pdf_is(client, cast, document):
    for user in (None, cast.outsider, cast.owner):
        if user is not None:
            login(client, user)
        for url in (document.path, f"{document.path}?version=1"):
            pdf = client.get(url.replace(document.path, f"{document.path}.pdf"))
            ofd = client.get(url.replace(document.path, f"{document.path}.ofd"))
            ofd_refusal = (ofd.status_code, (ofd.location or "").replace(".ofd", ".pdf"))
            assert ofd_refusal == (pdf.status_code, pdf.location or ""), (user, url)
        client.post("/logout")
    login(client, cast.outsider)
    refused = client.get(f"{document.path}.ofd").status_code
    assert refused == (200 if document.kind == "bulletin" else 404)  # bulletins are for all


def test_a_draft_has_no_ofd(client, cast, drafts):  # noqa: F811
    login(client, cast.inspector)
    notice = drafts[cast.own.id]
    assert client.get(f"/notices/{notice.id}.pdf").status_code == 200  # the draft as it stands
    assert client.get(f"/notices/{notice.id}.ofd").status_code == 404
    month = utcnow().astimezone(LOCAL_TZ).strftime("%Y-%m")
    get_or_create(month)
    db.session.commit()
    client.post("/logout")
    login(client, cast.manager)
    assert client.get(f"/bulletins/{month}.pdf").status_code == 200
    assert client.get(f"/bulletins/{month}.ofd").status_code == 404


def test_a_version_named_gives_that_versions_ofd(
    client,
    cast,
    issued_by_hand,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    notice = issued_by_hand
    login(client, cast.owner)
    client.post(f"/notices/{notice.id}/acknowledge")
    first, second = kept("notice", 1), kept("notice", 2)
    assert second is not None

    for asked, version in (("?version=1", first), ("?version=2", second), ("", second)):
        answer = client.get(f"/notices/{notice.id}.ofd{asked}")
        assert answer.status_code == 200, asked
        read = read_ofd(answer.data, tmp_path, monkeypatch)
        assert read.custom["核验码"] == version.shown_code, asked
        assert read.custom["PDF SHA-256"] == version.digest, asked
        assert f"-v{version.version}.ofd" in answer.headers["Content-Disposition"]
    assert client.get(f"/notices/{notice.id}.ofd?version=9").status_code == 404


def test_when_the_ofd_cannot_be_made_the_pdf_is_offered_and_nothing_is_stored(
    client,
    cast,
    issued_by_hand,  # noqa: F811
    monkeypatch,
):
    login(client, cast.owner)
    monkeypatch.setenv("PATH", "/nowhere")  # no poppler
    answer = client.get(f"/notices/{issued_by_hand.id}.ofd")
    assert answer.status_code == 503
    assert "PDF" in answer.text
    assert not is_stored(Kind.ISSUED_OFD, kept("notice").digest)
