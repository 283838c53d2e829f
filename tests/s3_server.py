"""A real S3 API server for the tests: moto's standalone server in a process of its own, spoken
to over HTTP like Ceph, MinIO or OSS would be. It keeps objects in memory and accepts any keys."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3

BUCKET = "xunjian-test"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "xunjian-test", "AWS_SECRET_ACCESS_KEY": "xunjian-test-key"}


class ObjectStoreServer:
    def __init__(self, log: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process = None

    def start(self) -> None:
        server = Path(sys.executable).with_name("moto_server")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(server), "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **CREDENTIALS},
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"moto_server exited; see {self.log}") from None
                time.sleep(0.1)
        else:
            raise RuntimeError(f"moto_server did not answer; see {self.log}")
        self.client().create_bucket(Bucket=BUCKET)

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def settings(self, prefix: str) -> dict:
        """App settings for a store under `prefix` of the test bucket."""
        return {
            "STORAGE_URL": f"s3://{BUCKET}/{prefix}",
            "S3_ENDPOINT": self.endpoint,
            "S3_REGION": "us-east-1",
            "S3_ADDRESSING": "path",
        }

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
