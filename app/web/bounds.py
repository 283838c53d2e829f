"""What a request may name, kept within what the database can hold.

Every id and count column is an INTEGER (PostgreSQL's four bytes). A larger number sent in a
URL, a query string or a form overflowed the database driver (SQLite) or the database
(PostgreSQL) and answered a server error; it names nothing, so a path with one matches no
route (404) and a parameter with one is read as no value, as one that is no number at all.
A NUL byte, which no one types and PostgreSQL's text cannot hold, is refused outright.
"""

from flask import abort, request
from werkzeug.routing import IntegerConverter

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` in a route, up to INT_MAX."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def db_int(text: str) -> int:
    """`type=` for `request.args.get` and the like: an integer an INTEGER column can be
    compared with; anything else raises ValueError, which `get` turns into its default."""
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise ValueError(f"{text!r} is past the database's integers")
    return value


def refuse_nul_bytes() -> None:
    """Before every request: a NUL byte in the path or the query string is a 400."""
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        abort(400)
