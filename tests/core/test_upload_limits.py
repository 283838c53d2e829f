"""One upload limit for a request, a photo and a document, with one message."""

import io

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.core.photos import store_photo
from app.core.refusals import Refused
from app.inspections.external import attach_document

LIMIT_MB = 1
MESSAGE = "每次上传最多 1 MB"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "UPLOAD_LIMIT_MB": LIMIT_MB}


def over_the_limit() -> bytes:
    return b"\xff\xd8\xff\xe0" + b"\0" * (LIMIT_MB * 1024 * 1024)


def test_a_photo_and_a_document_over_the_limit_get_the_same_message(app):
    with pytest.raises(Refused, match=MESSAGE):
        store_photo(over_the_limit())
    with pytest.raises(Refused, match=MESSAGE):
        attach_document(None, b"%PDF-" + over_the_limit(), "big.pdf", None)


def test_a_request_over_the_limit_gets_that_message_not_a_generic_page(client):
    # encoded here, in memory: the test client's own temporary file would stay open
    boundary, body = encode_multipart(
        {"subject": "x", "photo": FileStorage(io.BytesIO(over_the_limit()), "big.jpg")}
    )
    response = client.post(
        "/feedback/complaint",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert MESSAGE in response.text
