"""Lint the service worker as the phone gets it.

app/templates/main/sw.js is a Jinja template (app/main/pwa.py serves it at /sw.js), so ESLint,
which reads app/static/js, never sees it. This renders it through the app, as the tests make
one, and hands the script to the pinned ESLint on its standard input under the template's name:
a finding's line is the template's line (each `{{ }}` in it renders on one line).

Usage: lint_service_worker.py   (from the repository's root, after scripts/lint-js is installed)
"""

import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "app/templates/main/sw.js"
ESLINT = ROOT / "scripts/lint-js/node_modules/.bin/eslint"
CONFIG = ROOT / "scripts/lint-js/eslint.config.js"


def rendered_service_worker(instance: str) -> str:
    # this checkout's app, not whichever one the shared .venv's editable install names
    sys.path.insert(0, str(ROOT))
    # an instance folder of its own: no config.py or secret key of a developer's is read
    os.environ["XUNJIAN_INSTANCE_PATH"] = instance
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "lint",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "UPLOAD_DIR": instance,
            "STORAGE_URL": "",
        }
    )
    logging.disable(logging.INFO)  # the request's log line: make lint prints findings only
    response = app.test_client().get("/sw.js")
    if response.status_code != 200:
        sys.exit(f"/sw.js answered {response.status_code}: nothing to lint")
    return response.text


def main() -> int:
    with tempfile.TemporaryDirectory() as instance:
        script = rendered_service_worker(instance)
    lint = subprocess.run(
        [ESLINT, "--config", CONFIG, "--stdin", "--stdin-filename", TEMPLATE],
        input=script,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return lint.returncode


if __name__ == "__main__":
    sys.exit(main())
