"""The lock file and pyproject.toml must agree, or `make run` installs what nobody declared."""

import shutil

from scripts.check_lock import ROOT, disagreements


def copy_of_the_project(tmp_path):
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_the_lock_agrees_with_pyproject():
    assert disagreements() == []


def test_a_requirement_declared_but_not_locked_is_found(tmp_path):
    root = copy_of_the_project(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"lxml>=5",', '"lxml>=5",\n    "humanize>=4",')
    )
    assert disagreements(root) == ["humanize>=4 is declared but not locked"]


def test_a_pin_outside_the_declared_range_is_found(tmp_path):
    root = copy_of_the_project(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"flask>=3.1,<4"', '"flask>=9"'))
    assert len(found := disagreements(root)) == 1 and found[0].startswith("flask>=9 is declared")


def test_a_package_no_longer_declared_or_unhashed_is_found(tmp_path):
    root = copy_of_the_project(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('    "segno>=1.6",\n', ""))
    lock = root / "requirements.lock"
    text = lock.read_text()
    start = text.index("\naiosmtpd==")
    hashes_end = text.index("    # via", start)
    lock.write_text(text[:start] + "\naiosmtpd==1.4.6\n" + text[hashes_end:])
    assert disagreements(root) == [
        "aiosmtpd is locked without a hash",
        "segno is locked as declared in pyproject.toml, which no longer declares it",
    ]
