"""The file store: every file the app keeps besides the database, named by its content.

Photos and their thumbnails, external checks' PDFs, published bulletins and meeting packs are
each kept under the SHA-256 of what they hold (a thumbnail under its photo's, a bulletin's long
image and an issued document's OFD under its PDF's), at a key such
as `documents/3f/3f…e1.pdf`. A file once stored never changes, so storing the same content
again writes nothing, and copying a store to another is safe to repeat.

Two back ends keep the keys, chosen by `STORAGE_URL` (`XUNJIAN_STORAGE_URL`):
- a folder on this machine (the default, `UPLOAD_DIR`): a file is written beside its final
  name, flushed to disk and renamed, and the rename is flushed too, so a crash leaves the
  whole file or none, never a truncated one under its final name;
- S3-compatible object storage (`s3://bucket/prefix`: Ceph, MinIO, Alibaba OSS, Tencent COS,
  Huawei OBS, AWS), so that several app servers share one store. An object is written whole
  or not at all by the service itself.

Nothing in a store is public: the app checks who may see a file, then streams it, or (with
`STORAGE_SIGNED_URLS`) redirects to a link to the object that works for five minutes.
"""

import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from urllib.parse import quote, urlsplit

from flask import abort, current_app, redirect, request, send_file
from werkzeug.http import dump_options_header
from werkzeug.wrappers import Response

DIGEST = re.compile(r"^[0-9a-f]{64}$")
SIGNED_URL_SECONDS = 300
BROWSER_CACHE_SECONDS = 3600


class Kind(Enum):
    """What a stored file is, and so where it lives: (folder, name after the digest)."""

    PHOTO = ("", ".jpg")
    THUMB = ("", "_thumb.jpg")
    DOCUMENT = ("documents", ".pdf")
    BULLETIN = ("bulletins", ".pdf")
    BULLETIN_IMAGE = ("bulletins", "_phone.png")  # one long image, named by its PDF's digest
    MEETING_PACK = ("meetings", ".pdf")
    ISSUED = ("issued", ".pdf")  # issued documents' versions (app/documents)
    ISSUED_OFD = ("issued", "_layers.ofd")  # a version as double-layer OFD, named by its PDF
    SIGNATURE = ("signatures", ".png")  # handwritten signatures on receipts


def key_of(kind: Kind, digest: str) -> str:
    """The key of a stored file; only a well-formed SHA-256 names one."""
    if not DIGEST.match(digest or ""):
        raise ValueError("not a SHA-256 digest")
    folder, suffix = kind.value
    return "/".join(part for part in (folder, digest[:2], f"{digest}{suffix}") if part)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalFolder:
    """Files in a folder of this machine, laid out by key."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def __str__(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        try:
            with temporary.open("wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename reaches the disk before the row that names it commits
        finally:
            os.close(directory)

    def close(self) -> None:
        pass

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield path.relative_to(self.root).as_posix()

    def response(self, key: str, mimetype: str, download_name: str | None) -> Response:
        path = self._path(key)
        if not path.is_file():
            abort(404)
        return send_file(
            path,
            mimetype=mimetype,
            download_name=download_name,
            max_age=BROWSER_CACHE_SECONDS,
            conditional=True,
        )


class ObjectStore:
    """Objects in an S3-compatible bucket, under a prefix. The endpoint, region and
    addressing style come from the settings; the keys from the environment as every S3 tool
    reads them (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint: str | None = None,
        region: str | None = None,
        addressing: str = "auto",
        signed_urls: bool = False,
    ):
        self.bucket, self.prefix, self.signed_urls = bucket, prefix.strip("/"), signed_urls
        self.client = _s3_client(endpoint, region, addressing)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def close(self) -> None:
        self.client.close()

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _missing(self, error) -> bool:
        return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")

    def has(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._missing(error):
                return False
            raise
        return True

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if self._missing(error):
                return None
            raise
        return answer["Body"].read()

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._name(key),
            Body=data,
            ChecksumAlgorithm="SHA256",  # the service refuses a body that arrives damaged
        )

    def keys(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        )
        for page in pages:
            for entry in page.get("Contents", []):
                yield entry["Key"][len(start) :]

    def response(self, key: str, mimetype: str, download_name: str | None) -> Response:
        from botocore.exceptions import ClientError

        disposition = _disposition(download_name)
        if self.signed_urls:
            params = {"Bucket": self.bucket, "Key": self._name(key)}
            params["ResponseContentType"] = mimetype
            if disposition:
                params["ResponseContentDisposition"] = disposition
            url = self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=SIGNED_URL_SECONDS
            )
            return redirect(url, code=302)
        fetch = {"Bucket": self.bucket, "Key": self._name(key)}
        if request.if_none_match:
            fetch["IfNoneMatch"] = request.headers["If-None-Match"]
        try:
            answer = self.client.get_object(**fetch)
        except ClientError as error:
            if self._missing(error):
                abort(404)
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 304:
                return Response(status=304, headers={"ETag": request.headers["If-None-Match"]})
            raise
        body = answer["Body"]
        response = Response(
            body.iter_chunks(64 * 1024),
            mimetype=mimetype,
            direct_passthrough=True,
            headers={"Content-Length": str(answer["ContentLength"]), "ETag": answer["ETag"]},
        )
        response.call_on_close(body.close)
        if disposition:
            response.headers["Content-Disposition"] = disposition
        response.cache_control.max_age = BROWSER_CACHE_SECONDS
        return response


def _s3_client(endpoint: str | None, region: str | None, addressing: str, signed: bool = True):
    """A client of the store's service; an unsigned one needs no credentials."""
    import boto3
    import botocore
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint or None,
        region_name=region or "us-east-1",
        config=Config(
            signature_version="s3v4" if signed else botocore.UNSIGNED,
            s3={"addressing_style": addressing},
            retries={"mode": "standard", "max_attempts": 4},
            connect_timeout=5,
            read_timeout=30,
        ),
    )


def signed_link_origin(config) -> str | None:
    """Where the links the store hands out instead of a file point (STORAGE_SIGNED_URLS):
    the scheme, host and port the pages must allow photos from; None if it hands out none.
    Worked out as the S3 client builds a link (endpoint, region, addressing style, bucket),
    without credentials or the network."""
    url = urlsplit(config.get("STORAGE_URL") or "")
    if url.scheme != "s3" or not config.get("STORAGE_SIGNED_URLS"):
        return None
    client = _s3_client(
        config.get("S3_ENDPOINT"),
        config.get("S3_REGION"),
        config.get("S3_ADDRESSING") or "auto",
        signed=False,
    )
    try:
        link = client.generate_presigned_url(
            "get_object", Params={"Bucket": url.netloc, "Key": "photo.jpg"}
        )
    finally:
        client.close()
    parts = urlsplit(link)
    return f"{parts.scheme}://{parts.netloc}"


def _disposition(download_name: str | None) -> str | None:
    """Content-Disposition as send_file writes it: shown in the browser, saved by this name."""
    if not download_name:
        return None
    ascii_name = download_name.encode("ascii", "ignore").decode() or "download"
    return dump_options_header(
        "inline", {"filename": ascii_name, "filename*": f"UTF-8''{quote(download_name)}"}
    )


FileStore = LocalFolder | ObjectStore


def open_store(url: str, config) -> FileStore:
    """The store a storage URL names: `s3://bucket/prefix`, or a folder (a path or file://)."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"no bucket in {url!r}")
        return ObjectStore(
            parts.netloc,
            parts.path,
            endpoint=config.get("S3_ENDPOINT"),
            region=config.get("S3_REGION"),
            addressing=config.get("S3_ADDRESSING") or "auto",
            signed_urls=bool(config.get("STORAGE_SIGNED_URLS")),
        )
    if parts.scheme in ("", "file"):
        return LocalFolder(parts.path if parts.scheme else url)
    raise ValueError(f"unknown storage {url!r}: use s3://bucket/prefix or a folder")


def configured_store(config) -> FileStore:
    """The store an app's settings name: STORAGE_URL, or else the folder UPLOAD_DIR."""
    return open_store(config.get("STORAGE_URL") or config["UPLOAD_DIR"], config)


def current_store() -> FileStore:
    """This app's store, opened once per process (a client is thread-safe and slow to make)."""
    app = current_app._get_current_object()
    if "file_store" not in app.extensions:
        app.extensions["file_store"] = configured_store(app.config)
    return app.extensions["file_store"]


@dataclass
class CopyReport:
    copied: int = 0
    already_there: int = 0
    failed: list[str] = field(default_factory=list)  # "key: why"


def copy_files(source: FileStore, target: FileStore) -> CopyReport:
    """Copy every file of `source` that `target` lacks, and check every file in `target`
    against the source's SHA-256 (and a content-named file against its own name). Safe to
    run again: a run that was stopped resumes, and a damaged copy is written anew."""
    report = CopyReport()
    for key in source.keys():
        data = source.read(key)
        if data is None:
            continue
        digest = sha256(data)
        named = _named_digest(key)
        if named and named != digest:
            report.failed.append(f"{key}: damaged in the source (its content does not match)")
            continue
        kept = target.read(key)
        if kept is not None and sha256(kept) == digest:
            report.already_there += 1
            continue
        target.put(key, data)
        if sha256(target.read(key) or b"") == digest:
            report.copied += 1
        else:
            report.failed.append(f"{key}: the copy read back differs")
    return report


def _named_digest(key: str) -> str | None:
    """The digest a key's name promises for its content (a thumbnail is named by its photo)."""
    name = key.rsplit("/", 1)[-1]
    digest, _dot, _suffix = name.partition(".")
    return digest if DIGEST.match(digest) else None


def is_stored(kind: Kind, digest: str) -> bool:
    return current_store().has(key_of(kind, digest))


def read_stored(kind: Kind, digest: str) -> bytes | None:
    return current_store().read(key_of(kind, digest))


def store(kind: Kind, digest: str, data: bytes) -> None:
    """Keep `data` under `digest`, durably, unless it is kept already."""
    key, files = key_of(kind, digest), current_store()
    if not files.has(key):
        files.put(key, data)


def store_content(kind: Kind, data: bytes) -> str:
    """Keep `data` under its own SHA-256, which is returned to name it by."""
    digest = sha256(data)
    store(kind, digest, data)
    return digest


def send_stored(kind: Kind, digest: str, mimetype: str, download_name: str | None = None):
    """Answer with a stored file. The caller has checked who may see it, so only the browser
    keeps a copy, never a shared cache."""
    response = current_store().response(key_of(kind, digest), mimetype, download_name)
    if response.status_code in (200, 304):
        response.cache_control.public = False
        response.cache_control.private = True
    return response
