"""The file store: named by content, written whole or not at all, served privately; on a
local folder or on a real S3 API server; copied from one to the other and checked."""

import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.exceptions import NotFound

from app import create_app
from app.core.files import (
    Kind,
    LocalFolder,
    configured_store,
    current_store,
    is_stored,
    key_of,
    read_stored,
    send_stored,
    sha256,
    signed_link_origin,
    store,
)
from app.core.photos import store_photo
from tests.conftest import use_store
from tests.helpers import jpeg, stored_files


@pytest.fixture(params=["folder", "s3"])
def backend(request, app, storage_settings):
    """The app's store switched to each back end in turn, whatever the run's default."""
    use_store(app, storage_settings("own", kind=request.param))
    return request.param


def test_a_file_is_kept_under_its_digest_once(app, backend):
    data = b"%PDF-1.7 a bulletin"
    digest = sha256(data)
    store(Kind.BULLETIN, digest, data)
    store(Kind.BULLETIN, digest, data)
    assert read_stored(Kind.BULLETIN, digest) == data and is_stored(Kind.BULLETIN, digest)
    assert list(stored_files()) == [f"bulletins/{digest[:2]}/{digest}.pdf"], "once, no leftovers"
    assert not is_stored(Kind.DOCUMENT, digest), "each kind has its own place"
    assert read_stored(Kind.DOCUMENT, digest) is None


def test_a_write_that_fails_leaves_nothing_under_the_final_name(
    app, tmp_path, monkeypatch, storage_settings
):
    data = b"half a document"
    digest = sha256(data)
    use_store(app, storage_settings("disk", kind="folder"))

    def power_cut(descriptor):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError):
        store(Kind.DOCUMENT, digest, data)
    folder = tmp_path / "disk" / "documents" / digest[:2]
    assert list(folder.iterdir()) == [] and not is_stored(Kind.DOCUMENT, digest)


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABC", "a" * 63, "g" * 64, ""])
def test_only_a_digest_names_a_file(app, name):
    with pytest.raises(ValueError):
        key_of(Kind.PHOTO, name)


def test_a_stored_file_is_sent_for_the_browser_only(app, backend):
    data = b"%PDF-1.7 a document"
    digest = sha256(data)
    store(Kind.DOCUMENT, digest, data)
    with app.test_request_context():
        response = send_stored(Kind.DOCUMENT, digest, "application/pdf", "检查报告.pdf")
        response.direct_passthrough = False
        assert response.get_data() == data
        response.close()
        assert response.cache_control.private and not response.cache_control.public
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("inline") and "%E6%A3%80" in disposition
        with pytest.raises(NotFound):
            send_stored(Kind.DOCUMENT, "0" * 64, "application/pdf")


def test_the_browser_asks_again_and_gets_not_modified(app, client, backend):
    data = b"%PDF-1.7 unchanged"
    digest = sha256(data)
    store(Kind.DOCUMENT, digest, data)
    with app.test_request_context():
        first = send_stored(Kind.DOCUMENT, digest, "application/pdf")
        first.close()
    with app.test_request_context(headers={"If-None-Match": first.headers["ETag"]}):
        again = send_stored(Kind.DOCUMENT, digest, "application/pdf")
        assert again.status_code == 304
        again.close()


def test_object_storage_can_hand_out_a_short_lived_link_instead(
    app, object_store, storage_settings
):
    use_store(app, {**storage_settings("signed", kind="s3"), "STORAGE_SIGNED_URLS": True})
    data = jpeg()
    digest = sha256(data)
    store(Kind.PHOTO, digest, data)
    with app.test_request_context():
        response = send_stored(Kind.PHOTO, digest, "image/jpeg")
    link = response.headers["Location"]
    assert response.status_code == 302 and link.startswith(object_store.endpoint)
    assert "X-Amz-Expires=300" in link and "X-Amz-Signature=" in link
    with urllib.request.urlopen(link) as fetched:
        assert fetched.read() == data and fetched.headers["Content-Type"] == "image/jpeg"
    unsigned = link.split("?")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned)
    refused.value.close()
    assert refused.value.code == 403, "nothing in the bucket is public"


@pytest.mark.parametrize(
    "where, origin",
    [
        (
            {"S3_ENDPOINT": "http://10.0.0.5:9000", "S3_ADDRESSING": "path"},  # MinIO
            "http://10.0.0.5:9000",
        ),
        (
            {"S3_ENDPOINT": "https://oss-cn-hangzhou.aliyuncs.com", "S3_ADDRESSING": "virtual"},
            "https://xunjian.oss-cn-hangzhou.aliyuncs.com",
        ),
        ({"S3_REGION": "cn-north-1"}, "https://xunjian.s3.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_signed_links_point_at_the_stores_own_origin(where, origin):
    signed = {"STORAGE_URL": "s3://xunjian/photos", "STORAGE_SIGNED_URLS": True, **where}
    assert signed_link_origin(signed) == origin
    assert signed_link_origin({**signed, "STORAGE_SIGNED_URLS": False}) is None
    assert signed_link_origin({"STORAGE_URL": "", "STORAGE_SIGNED_URLS": True}) is None


def test_pages_allow_photos_from_the_store_that_signs_links_and_nowhere_else(app_config):
    """The browser follows a photo's redirect to the store: the page shows it (img-src) and
    the service worker fetches it (connect-src) from that origin only."""
    store = {"STORAGE_URL": "s3://xunjian/photos", "S3_ENDPOINT": "http://10.0.0.5:9000"}
    store["S3_ADDRESSING"] = "path"

    def policy(**settings) -> dict[str, str]:
        answer = create_app({**app_config, **settings}).test_client().get("/login")
        header = answer.headers["Content-Security-Policy"]
        return dict(part.strip().split(" ", 1) for part in header.split(";"))

    signed = policy(**store, STORAGE_SIGNED_URLS=True)
    assert signed["img-src"] == "'self' blob: http://10.0.0.5:9000"
    assert signed["connect-src"] == "'self' http://10.0.0.5:9000"
    assert signed["default-src"] == signed["script-src"] == "'self'"
    streamed = policy(**store, STORAGE_SIGNED_URLS=False)
    assert (streamed["img-src"], streamed["connect-src"]) == ("'self' blob:", "'self'")


def test_storage_copy_moves_every_file_verified_and_resumes(
    app, object_store, storage_settings, request
):
    use_store(app, storage_settings("disk", kind="folder"))
    photos = [store_photo(jpeg(color=(i * 40, 90, 200))) for i in range(3)]
    store(Kind.DOCUMENT, sha256(b"%PDF doc"), b"%PDF doc")
    before = stored_files()
    assert len(before) == 7  # three photos, their thumbnails, a document
    target = storage_settings("cloud", kind="s3")
    runner = app.test_cli_runner()
    copy = ["storage", "copy", "--to", target["STORAGE_URL"], "--addressing", "path"]
    copy += ["--endpoint", object_store.endpoint]

    first = runner.invoke(args=copy)
    assert first.exit_code == 0, first.output
    assert "7 copied, 0 already there" in first.output
    again = runner.invoke(args=copy)
    assert "0 copied, 7 already there and verified" in again.output

    cloud = configured_store({**app.config, **target})
    request.addfinalizer(cloud.close)
    damaged = key_of(Kind.PHOTO, photos[0].digest)
    cloud.put(damaged, b"not the photo")  # a copy broken in transit
    (Path(app.config["UPLOAD_DIR"]) / key_of(Kind.PHOTO, photos[1].digest)).write_bytes(b"rot")
    third = runner.invoke(args=copy)
    assert third.exit_code == 1
    assert "1 copied, 5 already there" in third.output, "the broken copy is written anew"
    assert f"{key_of(Kind.PHOTO, photos[1].digest)}: damaged in the source" in third.output
    assert cloud.read(damaged) == LocalFolder(app.config["UPLOAD_DIR"]).read(damaged)

    use_store(app, target)
    assert set(stored_files()) == set(before)
    assert isinstance(current_store(), type(cloud))


def test_an_unknown_store_is_refused_clearly(app):
    result = app.test_cli_runner().invoke(args=["storage", "copy", "--to", "ftp://files/x"])
    assert result.exit_code == 2 and "use s3://bucket/prefix or a folder" in result.output
