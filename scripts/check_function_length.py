"""Fail on any function longer than 60 lines (from its `def` to its last line, docstring and
comments included) in app/ and bench/: a function should fit on a screen. Each offender is
printed as path:line name length. Pass other files or folders to check those instead."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 60
CHECKED = ("app", "bench")


def long_functions(path: Path) -> list[tuple[int, str, int]]:
    """(line, qualified name, length) of each function in the file over the limit."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    length = child.end_lineno - child.lineno + 1
                    if length > LIMIT:
                        found.append((child.lineno, name, length))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(path.read_text(), filename=str(path)), "")
    return found


def python_files(targets: list[Path]) -> list[Path]:
    files = []
    for target in targets:
        files.extend(sorted(target.rglob("*.py")) if target.is_dir() else [target])
    return files


def main(arguments: list[str]) -> int:
    targets = [Path(a) for a in arguments] or [ROOT / name for name in CHECKED]
    offenders = [
        (path, line, name, length)
        for path in python_files(targets)
        for line, name, length in long_functions(path)
    ]
    for path, line, name, length in offenders:
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        print(f"{shown}:{line} {name} {length} lines (at most {LIMIT})")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
