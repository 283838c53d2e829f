"""The file store: named by content, written whole or not at all, served privately."""

import hashlib
import os

import pytest
from werkzeug.exceptions import NotFound

from app.files import Kind, is_stored, send_stored, store, stored_path


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_is_kept_under_its_digest_once(app):
    data = b"%PDF-1.7 a bulletin"
    digest = digest_of(data)
    store(Kind.BULLETIN, digest, data)
    store(Kind.BULLETIN, digest, data)
    path = stored_path(Kind.BULLETIN, digest)
    assert path.read_bytes() == data and is_stored(Kind.BULLETIN, digest)
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file is left"
    assert not is_stored(Kind.DOCUMENT, digest), "each kind has its own place"


def test_a_write_that_fails_leaves_nothing_under_the_final_name(app, monkeypatch):
    data = b"half a document"
    digest = digest_of(data)

    def power_cut(descriptor):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError):
        store(Kind.DOCUMENT, digest, data)
    path = stored_path(Kind.DOCUMENT, digest)
    assert not path.exists() and list(path.parent.iterdir()) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABC", "a" * 63, "g" * 64, ""])
def test_only_a_digest_names_a_file(app, name):
    with pytest.raises(ValueError):
        stored_path(Kind.PHOTO, name)


def test_a_stored_file_is_sent_for_the_browser_only(app):
    data = b"%PDF-1.7 a document"
    digest = digest_of(data)
    store(Kind.DOCUMENT, digest, data)
    with app.test_request_context():
        response = send_stored(Kind.DOCUMENT, digest, "application/pdf", "check.pdf")
        response.direct_passthrough = False
        assert response.get_data() == data
        response.close()
        assert response.cache_control.private and not response.cache_control.public
        assert "check.pdf" in response.headers["Content-Disposition"]
        with pytest.raises(NotFound):
            send_stored(Kind.DOCUMENT, "0" * 64, "application/pdf")
