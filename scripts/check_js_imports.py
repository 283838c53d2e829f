"""Fail when the phone's ES modules import each other in a circle.

Imports go one way (offline.js wires the outbox; the panel imports the sending, never the other
way round): a module that must hear another one listens for its DOM events instead. ESLint's
import/no-cycle would say this, but it is a plugin make lint does not install; this reads the
static `import ... from "./x.js"` (and `export ... from`) of app/static/js itself.

Usage: check_js_imports.py [folder]   (app/static/js by default)
"""

import re
import sys
from pathlib import Path

# `import ... from "x"` or `export ... from "x"` from the start of a line, however many lines its
# names span (no parenthesis or semicolon on the way: not a function, not a dynamic import()),
# and the bare `import "x"`
STATIC_IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^;()"'`]*?\bfrom\s*["']([^"']+)["']"""
    r"""|^\s*import\s*["']([^"']+)["']""",
    re.MULTILINE,
)


def imports_of(module: Path) -> list[Path]:
    """The modules of this folder tree that `module` imports statically, relative ones only."""
    found = []
    for match in STATIC_IMPORT.finditer(module.read_text(encoding="utf-8")):
        target = match.group(1) or match.group(2)
        if target.startswith("."):
            found.append((module.parent / target).resolve())
    return found


def import_graph(folder: Path) -> dict[Path, list[Path]]:
    return {
        module.resolve(): imports_of(module)
        for module in sorted(folder.rglob("*.js"))
        if "vendor" not in module.relative_to(folder).parts
    }


def find_cycle(graph: dict[Path, list[Path]]) -> list[Path] | None:
    """One circle of imports (its first module repeated at the end), or None."""
    done: set[Path] = set()
    for start in graph:
        if start in done:
            continue
        path = [start]
        on_path = {start}
        # each frame: a module on the path and the imports of it still to follow
        stack = [iter(graph.get(start, ()))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
            elif following in on_path:
                return path[path.index(following) :] + [following]
            elif following not in done:
                path.append(following)
                on_path.add(following)
                stack.append(iter(graph.get(following, ())))
    return None


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "app/static/js")
    cycle = find_cycle(import_graph(folder))
    if cycle is None:
        return 0
    root = folder.resolve()
    names = " -> ".join(module.relative_to(root).as_posix() for module in cycle)
    print(f"{folder}: modules import each other in a circle: {names}", file=sys.stderr)
    print(
        "Let one of them dispatch a DOM event the other listens for instead of importing it.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
