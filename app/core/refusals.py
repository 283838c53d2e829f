"""Refusals: a rule says no, and says why in the reader's language.

Every domain function that will not do what it was asked raises `Refused`; views catch that
one type and show its message. `status` is what an HTTP answer says: 409 when the record's
state or the person's role stands in the way, 422 when what was sent cannot be used (a file
that is no photo, a PDF cut short).
"""


class Refused(Exception):
    def __init__(self, message: str, *, status: int = 409):
        super().__init__(message)
        self.status = status


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Refused(message)
