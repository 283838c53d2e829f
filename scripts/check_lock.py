"""Fail when pyproject.toml and requirements.lock disagree: every requirement declared in
pyproject.toml (dependencies and the test extra) is pinned in the lock, with hashes, at a
version the declaration allows, and every package the lock says came from pyproject.toml is
still declared there. `make lock` writes the lock anew."""

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def declared(root: Path) -> dict[str, Requirement]:
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["test"]
    requirements = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): r for r in requirements}


def locked(root: Path) -> tuple[dict[str, str], set[str], set[str]]:
    """Pinned versions, the packages pinned without a hash, and those the lock says came from
    pyproject.toml."""
    text = (root / "requirements.lock").read_text()
    pins, unhashed, direct = {}, set(), set()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        pin = re.match(r"([A-Za-z0-9._-]+)==([^\s\\;]+)", block)
        if not pin:
            continue
        name = canonicalize_name(pin[1])
        pins[name] = pin[2]
        if "--hash=sha256:" not in block:
            unhashed.add(name)
        if re.search(r"#\s+(via\s+)?xunjian \(pyproject\.toml\)", block):
            direct.add(name)
    return pins, unhashed, direct


def disagreements(root: Path = ROOT) -> list[str]:
    wanted = declared(root)
    pins, unhashed, direct = locked(root)
    problems = []
    for name, requirement in sorted(wanted.items()):
        if name not in pins:
            problems.append(f"{requirement} is declared but not locked")
        elif not requirement.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{requirement} is declared but {name}=={pins[name]} is locked")
    problems += [f"{name} is locked without a hash" for name in sorted(unhashed)]
    problems += [
        f"{name} is locked as declared in pyproject.toml, which no longer declares it"
        for name in sorted(direct - set(wanted))
    ]
    return problems


if __name__ == "__main__":
    found = disagreements()
    for problem in found:
        print(f"requirements.lock: {problem}", file=sys.stderr)
    if found:
        print("Run `make lock` to write the lock anew.", file=sys.stderr)
    sys.exit(1 if found else 0)
