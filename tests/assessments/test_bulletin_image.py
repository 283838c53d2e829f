"""The published bulletin as one long image for phones: made from its stored PDF at publishing,
served to whoever reads the bulletin, and sent to 企业微信 groups as an image above the link
(tests/robot_server.py checks the image message's base64 and MD5 as the service does)."""

import base64
import hashlib
import io
import subprocess

import pytest
import sqlalchemy as sa
from PIL import Image

from app.assessments.bulletin_drafts import publish_draft, save_prose
from app.assessments.models import Bulletin
from app.core.extensions import db
from app.core.files import Kind, read_stored
from app.core.long_image import PHONE_WIDTH
from app.documents.models import DocumentVersion
from app.inspections.models import Tier
from app.notify import channels
from app.notify.delivery import IMAGE_SENT, deliver_due
from app.notify.models import Channel, Delivery, DeliveryStatus
from tests.assessments.test_assessments import inspect, kitchen, month  # noqa: F401
from tests.helpers import login
from tests.notify.test_outbox import add_robot
from tests.robot_server import RobotServer

A4_AT_PHONE_WIDTH = round(PHONE_WIDTH * 841.89 / 595.276)  # pixels of one A4 page, give or take 1


@pytest.fixture
def robots():
    with RobotServer() as server:
        yield server


@pytest.fixture
def app_config(app_config, robots):
    return {
        **app_config,
        "ROBOT_HOSTS": (robots.host,),
        "PUBLIC_URL": "https://xunjian.example.gov.cn",
    }


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
    robots,
    monkeypatch,
    tmp_path,
):
    """As a bulletin published before long images were made (or while poppler-utils was
    missing): its image is made from the PDF it is downloaded as when first asked for."""
    add_robot(robots, cast.own, "wecom", "caterer")
    with monkeypatch.context() as without_poppler:
        without_poppler.setenv("PATH", str(tmp_path))  # no pdftoppm: publishing still goes
        bulletin = published(month, cast.manager)
        assert read_stored(Kind.BULLETIN_IMAGE, bulletin.pdf_digest) is None
        login(client, cast.owner)
        unavailable = client.get(f"/bulletins/{month}.png")
        assert unavailable.status_code == 503 and "长图暂时无法生成" in unavailable.text
    assert deliver_due().sent == 1
    assert robots.kinds_of("caterer") == ["text"], "the link alone"
    (delivery,) = db.session.scalars(sa.select(Delivery)).all()
    assert [t.error for t in delivery.tries] == ["no image was made: the link alone"]

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


def test_wecom_groups_get_the_image_then_the_link_and_the_others_the_link(
    cast,
    kitchen,  # noqa: F811
    month,  # noqa: F811
    robots,
):
    add_robot(robots, cast.own, "wecom", "caterer")
    add_robot(robots, cast.own, "dingtalk", "caterer-ding", secret="sign-me")
    add_robot(robots, cast.other, "feishu", "guards", secret="sign-me")
    bulletin = published(month, cast.manager)
    done = deliver_due()
    assert done.sent == 3 and done.failed == 0 and robots.refused == []

    assert robots.kinds_of("caterer") == ["image", "text"], "the image, and the link under it"
    (image,) = robots.images_of("caterer")
    assert image == stored_image(bulletin), "base64 and MD5 of the stored PNG, as checked"
    with Image.open(io.BytesIO(image)) as shown:
        assert shown.width == PHONE_WIDTH
    (text,) = robots.texts("caterer")
    assert month in text and text.endswith(f"https://xunjian.example.gov.cn/bulletins/{month}")
    for token in ("caterer-ding", "guards"):
        assert robots.kinds_of(token) == ["text"], "their webhooks take no image of ours"
        assert robots.texts(token)[0].endswith(f"/bulletins/{month}")
    wecom = db.session.scalar(sa.select(Delivery).where(Delivery.channel == Channel.WECOM))
    assert [(t.ok, t.error) for t in wecom.tries] == [(True, IMAGE_SENT), (True, "")]


def test_the_image_is_sent_once_though_the_link_fails_and_is_tried_again(
    cast,
    kitchen,  # noqa: F811
    month,  # noqa: F811
    robots,
):
    add_robot(robots, cast.own, "wecom", "caterer")
    robots.pace = 1  # the image uses the minute's one message: the link is answered 45009
    published(month, cast.manager)
    assert deliver_due().paced == 1
    robots.pace = 20
    (delivery,) = db.session.scalars(sa.select(Delivery)).all()
    delivery.next_attempt_at = delivery.created_at  # due again now
    db.session.commit()
    assert deliver_due().sent == 1
    assert robots.kinds_of("caterer") == ["image", "text"]


def test_an_image_larger_than_the_service_takes_goes_as_the_link_alone(
    client,
    cast,
    kitchen,  # noqa: F811
    month,  # noqa: F811
    robots,
    monkeypatch,
):
    add_robot(robots, cast.own, "wecom", "caterer")
    bulletin = published(month, cast.manager)
    size = len(stored_image(bulletin))
    monkeypatch.setitem(channels.IMAGE_BYTES, Channel.WECOM, size - 1)
    assert deliver_due().sent == 1
    assert robots.kinds_of("caterer") == ["text"]
    (delivery,) = db.session.scalars(sa.select(Delivery)).all()
    assert delivery.status == DeliveryStatus.SENT
    (note,) = [t.error for t in delivery.tries]
    assert f"take no image of {size} bytes" in note and "the link alone" in note
    login(client, cast.admin)
    assert note in client.get("/admin/deliveries?status=sent").text, "shown with the attempt"


def test_the_robot_server_refuses_an_image_as_wecom_does(robots):
    """A wrong MD5, or more than 2 MB: so an image it takes was sent as the service wants."""
    small, large = b"\x89PNG" + bytes(100), bytes(2 * 1024 * 1024 + 1)
    for image, md5 in ((small, hashlib.md5(b"else").hexdigest()), (large, None)):
        body = {
            "base64": base64.b64encode(image).decode(),
            "md5": md5 or hashlib.md5(image).hexdigest(),
        }
        code, _text = robots._answer("wecom", "t", {}, {"msgtype": "image", "image": body})
        assert code == 40009
    assert robots.images_of("t") == []
