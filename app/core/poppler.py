"""Poppler's command-line tools (Debian's poppler-utils, installed by `make system-deps`):
running one, and the pages `pdftoppm` drew, in their order."""

import re
import subprocess
from pathlib import Path

TIMEOUT_SECONDS = 120
PAGE_NUMBER = re.compile(r"-(\d+)\.\w+$")


def run(command: list[str], failed: type[Exception]) -> bytes:
    """What the command wrote to its output; `failed`, saying why, if it could not run, failed
    or took too long."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT_SECONDS, check=True)
    except FileNotFoundError:
        raise failed(
            f"{command[0]} is not installed: run `make system-deps` (Debian package poppler-utils)"
        ) from None
    except subprocess.CalledProcessError as error:
        said = error.stderr.decode(errors="replace").strip()
        raise failed(f"{command[0]} failed ({error.returncode}): {said}") from None
    except subprocess.TimeoutExpired:
        raise failed(f"{command[0]} took more than {TIMEOUT_SECONDS} s") from None
    return done.stdout


def drawn_pages(folder: Path, prefix: str, suffix: str) -> list[Path]:
    """The pages `pdftoppm` drew as `prefix-N.suffix`, first to last (N is zero-padded when
    there are ten pages or more)."""
    return sorted(
        folder.glob(f"{prefix}-*.{suffix}"), key=lambda path: int(PAGE_NUMBER.search(path.name)[1])
    )
