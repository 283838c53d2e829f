"""Every piece of interface text has a Chinese translation, and the catalogues are current."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
ZH_CATALOGUE = ROOT / "app/translations/zh_Hans/LC_MESSAGES/messages.po"


def test_every_interface_string_is_translated_into_chinese(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with ZH_CATALOGUE.open("rb") as f:
        catalogue = read_po(f)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(wanted - translated)
    assert not missing, f"run `make i18n-update` and translate: {missing}"
