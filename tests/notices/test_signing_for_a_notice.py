"""Signing for a notice: a drawn signature kept with who, when and from where, printed in the
notice; or, when the contractor refuses or cannot be reached, the inspector's record with a
witness and a photo, from which the notice counts as served."""

import base64
import io
import subprocess
import uuid

import sqlalchemy as sa
from PIL import Image

from app.core.extensions import db
from app.core.photos import read_signature
from app.notices.access import can_report_fix
from app.notices.models import Notice, NoticeReceipt, NoticeStatus, ReceiptWay
from tests.documents.test_documents import issued_by_hand, versions  # noqa: F401
from tests.helpers import jpeg, login, signature_png
from tests.notices.test_notices import drafts, inspection, kitchen  # noqa: F401


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def fresh(notice) -> Notice:
    db.session.expire_all()
    return db.session.get(Notice, notice.id)


def test_a_drawn_signature_is_kept_with_who_when_where_and_printed_in_the_notice(
    client,
    cast,
    issued_by_hand,  # noqa: F811
    tmp_path,
):
    login(client, cast.owner)
    page = client.get(f"/notices/{issued_by_hand.id}").text
    assert "data-signature-pad" in page and "js/vendor/signature_pad.js" in page
    signed = client.post(
        f"/notices/{issued_by_hand.id}/acknowledge",
        data={"signature": data_url(signature_png())},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert signed.status_code == 302
    notice = fresh(issued_by_hand)
    receipt = notice.receipt
    assert notice.status == NoticeStatus.ACKNOWLEDGED and receipt.way == ReceiptWay.SIGNED
    assert receipt.recorded_by_id == cast.owner.id and receipt.address == "10.1.2.3"
    assert receipt.recorded_at == notice.acknowledged_at
    kept = read_signature(receipt.signature_digest)
    assert kept.startswith(b"\x89PNG")

    client.post("/logout")
    login(client, cast.manager)
    shown = client.get(f"/notices/{notice.id}/receipt/signature")
    assert shown.status_code == 200 and shown.data == kept
    assert f"/notices/{notice.id}/receipt/signature" in client.get(f"/notices/{notice.id}").text

    path = tmp_path / "notice.pdf"
    path.write_bytes(client.get(f"/notices/{notice.id}.pdf").data)
    assert len(versions("notice", notice.id)) == 2, "the signed version is a version of its own"
    listed = subprocess.run(
        ["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    sizes = {(int(line.split()[3]), int(line.split()[4])) for line in listed}
    assert (600, 200) in sizes, "the signature is in the PDF at the size it was drawn"
    subprocess.run(["pdfimages", "-png", str(path), str(tmp_path / "img")], check=True)
    drawn = Image.open(io.BytesIO(kept)).getchannel("A").tobytes()
    masks = []
    for png in sorted(tmp_path.glob("img-*.png")):
        with Image.open(png) as image:
            if image.size == (600, 200) and image.mode in ("L", "1"):
                masks.append(image.convert("L").tobytes())
    assert drawn in masks, "the strokes read back from the PDF are the ones drawn"


def test_acknowledging_without_drawing_is_a_confirmation(client, cast, issued_by_hand):  # noqa: F811
    login(client, cast.owner)
    client.post(f"/notices/{issued_by_hand.id}/acknowledge", data={"signature": ""})
    receipt = fresh(issued_by_hand).receipt
    assert receipt.way == ReceiptWay.CONFIRMED and receipt.signature_digest is None


def test_an_empty_or_forged_signature_is_refused_and_nothing_changes(client, cast, issued_by_hand):  # noqa: F811
    blank = io.BytesIO()
    Image.new("RGBA", (300, 100), (0, 0, 0, 0)).save(blank, "PNG")
    login(client, cast.owner)
    for sent in (
        data_url(blank.getvalue()),
        "data:image/png;base64,not-base64!",
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:image/png;base64," + base64.b64encode(jpeg()).decode(),
    ):
        answer = client.post(f"/notices/{issued_by_hand.id}/acknowledge", data={"signature": sent})
        assert answer.status_code == 302
        notice = fresh(issued_by_hand)
        assert notice.status == NoticeStatus.ISSUED and notice.receipt is None, sent[:30]
    page = client.get(f"/notices/{issued_by_hand.id}").text
    assert "签名" in page


def test_a_refusal_to_sign_is_recorded_with_a_witness_and_a_photo_and_serves_the_notice(
    client,
    cast,
    issued_by_hand,  # noqa: F811
    tmp_path,
):
    notice_id = issued_by_hand.id
    login(client, cast.owner)
    refused = client.post(
        f"/notices/{notice_id}/served",
        data={"way": "refused", "witness": "x", "photo": (io.BytesIO(jpeg()), "p.jpg")},
    )
    assert refused.status_code == 403, "the contractor cannot record its own refusal"
    client.post("/logout")

    login(client, cast.inspector)
    no_witness = client.post(
        f"/notices/{notice_id}/served",
        data={"way": "refused", "witness": " ", "photo": (io.BytesIO(jpeg()), "p.jpg")},
    )
    assert no_witness.status_code == 302 and fresh(issued_by_hand).receipt is None
    no_photo = client.post(f"/notices/{notice_id}/served", data={"way": "refused", "witness": "王"})
    assert no_photo.status_code == 302 and fresh(issued_by_hand).receipt is None

    served = client.post(
        f"/notices/{notice_id}/served",
        data={
            "way": "refused",
            "witness": "物业办 李明",
            "note": "项目经理拒绝签字",
            "photo": (io.BytesIO(jpeg()), "现场.jpg"),
        },
    )
    assert served.status_code == 302
    notice = fresh(issued_by_hand)
    receipt = notice.receipt
    assert notice.status == NoticeStatus.ACKNOWLEDGED and notice.acknowledged_at is not None
    assert (receipt.way, receipt.witness, receipt.recorded_by_id) == (
        ReceiptWay.REFUSED,
        "物业办 李明",
        cast.inspector.id,
    )
    assert receipt.photo_digest and notice.acknowledged_by is None

    page = client.get(f"/notices/{notice_id}").text
    assert "拒绝签收，经见证人见证视为送达" in page and "见证人：物业办 李明" in page
    assert client.get(f"/notices/{notice_id}/receipt/photo?size=thumb").status_code == 200
    path = tmp_path / "notice.pdf"
    path.write_bytes(client.get(f"/notices/{notice_id}.pdf").data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "拒绝签收" in text and "物业办李明" in text.replace(" ", "")

    again = client.post(
        f"/notices/{notice_id}/served",
        data={"way": "unreachable", "witness": "王", "photo": (io.BytesIO(jpeg()), "p.jpg")},
    )
    assert again.status_code == 302 and fresh(issued_by_hand).receipt.way == ReceiptWay.REFUSED
    notice = fresh(issued_by_hand)
    assert can_report_fix(notice.items[0], cast.owner), "served: the contractor can now fix"


def test_a_resent_refusal_to_sign_is_recorded_once_and_answers_as_the_first_did(
    client,
    cast,
    issued_by_hand,  # noqa: F811
):
    """The phone's outbox sends the form again when the first answer was lost on the way."""
    login(client, cast.inspector)
    url = f"/notices/{issued_by_hand.id}/served"
    key = str(uuid.uuid4())

    def send():
        return client.post(
            url,
            data={
                "client_uuid": key,
                "way": "refused",
                "witness": "物业办 李明",
                "photo": (io.BytesIO(jpeg()), "现场.jpg"),
            },
        )

    first, again = send(), send()
    assert first.status_code == again.status_code == 302
    assert again.location == first.location
    page = client.get(again.location).text
    assert "此前已收到" in page and "不在待送达状态" not in page
    assert db.session.scalar(sa.select(sa.func.count(NoticeReceipt.id))) == 1
    assert fresh(issued_by_hand).status == NoticeStatus.ACKNOWLEDGED


def test_an_outsider_sees_no_receipt(client, cast, issued_by_hand):  # noqa: F811
    login(client, cast.owner)
    client.post(
        f"/notices/{issued_by_hand.id}/acknowledge",
        data={"signature": data_url(signature_png())},
    )
    client.post("/logout")
    login(client, cast.outsider)
    assert client.get(f"/notices/{issued_by_hand.id}/receipt/signature").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 2, (
        "both drafts are still there"
    )
