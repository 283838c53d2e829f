"""The published bulletin as one long image for phones: made from its stored PDF at publishing,
served to whoever reads the bulletin."""

import io
import subprocess

import sqlalchemy as sa
from PIL import Image

from app.assessments.bulletin_drafts import publish_draft, save_prose
from app.assessments.models import Bulletin
from app.core.extensions import db
from app.core.files import Kind, read_stored
from app.core.long_image import PHONE_WIDTH
from app.documents.models import DocumentVersion
from app.inspections.models import Tier
from tests.assessments.test_assessments import inspect, kitchen, month  # noqa: F401
from tests.helpers import login

A4_AT_PHONE_WIDTH = round(PHONE_WIDTH * 841.89 / 595.276)  # pixels of one A4 page, give or take 1


def published(month: str, by, measures: str = "加强巡查") -> Bulletin:  # noqa: F811
    save_prose(month, {"summary": "本月总体平稳", "measures": measures})
    return publish_draft(month, by)


def stored_image(bulletin: Bulletin) -> bytes:
    image = read_stored(Kind.BULLETIN_IMAGE, bulletin.pdf_digest)
    assert image is not None, "the image is stored beside the PDF, under its digest"
    return image


def pages_of(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return int(next(line for line in info.split(b"\n") if line.startswith(b"Pages:")).split()[1])


def test_the_image_is_the_stored_pdf_page_under_page_at_phone_width(
    cast,
    kitchen,  # noqa: F811
    month,  # noqa: F811
):
    inspect(cast, kitchen, Tier.DAILY, {"地面排水"})
    short = published(month, cast.manager)
    long = published("2025-01", cast.manager, measures="每日巡查地面排水并记录。" * 400)
    sizes = {}
    for bulletin in (short, long):
        pdf = read_stored(Kind.BULLETIN, bulletin.pdf_digest)
        with Image.open(io.BytesIO(stored_image(bulletin))) as image:
            assert image.format == "PNG" and image.width == PHONE_WIDTH
            sizes[bulletin.month] = (pages_of(pdf), image.height)
    (short_pages, short_height), (long_pages, long_height) = sizes[month], sizes["2025-01"]
    assert long_pages > short_pages
    for pages, height in sizes.values():
        assert abs(height / pages - A4_AT_PHONE_WIDTH) <= 1, (
            "each page as tall as its shape makes it"
        )
        assert height % pages == 0, "every page the same height"
    assert long_height // long_pages == short_height // short_pages


def test_who_may_read_the_published_bulletin_may_see_its_image(
    client,
    cast,
    kitchen,  # noqa: F811
    month,  # noqa: F811
):
    login(client, cast.manager)
    assert client.get(f"/bulletins/{month}.png").status_code == 404, "a draft has no image"
    bulletin = published(month, cast.manager)
    client.post("/logout")
    assert client.get(f"/bulletins/{month}.png").status_code == 302, "signing in first"
    for reader in (cast.outsider, cast.inspector, cast.manager):
        login(client, reader)
        with client.get(f"/bulletins/{month}.png") as answer:
            assert answer.status_code == 200 and answer.mimetype == "image/png"
            assert answer.data == stored_image(bulletin)
            assert "private" in answer.headers["Cache-Control"]
        client.post("/logout")
    login(client, cast.owner)
    page = client.get(f"/bulletins/{month}").text
    assert f"/bulletins/{month}.png" in page and "长图" in page
    assert client.get("/bulletins/2024-02.png").status_code == 404, "no bulletin that month"
    assert client.get("/bulletins/2024-13.png").status_code == 404, "no such month"


def test_a_bulletin_published_without_its_image_has_it_made_at_its_first_request(
    client,
    cast,
    kitchen,  # noqa: F811
    month,  # noqa: F811
    monkeypatch,
    tmp_path,
):
    """As a bulletin published before long images were made (or while poppler-utils was
    missing): its image is made from the PDF it is downloaded as when first asked for."""
    with monkeypatch.context() as without_poppler:
        without_poppler.setenv("PATH", str(tmp_path))  # no pdftoppm: publishing still goes
        bulletin = published(month, cast.manager)
        assert read_stored(Kind.BULLETIN_IMAGE, bulletin.pdf_digest) is None
        login(client, cast.owner)
        unavailable = client.get(f"/bulletins/{month}.png")
        assert unavailable.status_code == 503 and "长图暂时无法生成" in unavailable.text

    # and one published before versions were kept: its PDF is frozen at the first request too
    db.session.execute(sa.delete(DocumentVersion))
    db.session.commit()
    with client.get(f"/bulletins/{month}.png") as answer:
        assert answer.status_code == 200
        image = answer.data
    kept = db.session.scalar(sa.select(DocumentVersion))
    assert read_stored(Kind.BULLETIN_IMAGE, kept.digest) == image
    assert client.get(f"/bulletins/{month}.png").data == image, "made once, then served"
    assert db.session.scalar(sa.select(sa.func.count(DocumentVersion.id))) == 1
