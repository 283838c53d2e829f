"""Lists by page whose last page costs what their first page costs.

An OFFSET makes the database walk past every earlier row: on five years of inspections the
last page of the list took a hundred times as long as the first. A page past the middle is
read from the other end instead (the order reversed, a small offset) and turned round.
"""

import sqlalchemy as sa
from flask import request
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from app.core.extensions import db
from app.web.bounds import db_int

_REVERSED = {
    operators.desc_op: sa.asc,
    operators.asc_op: sa.desc,
    operators.nulls_first_op: sa.nullslast,
    operators.nulls_last_op: sa.nullsfirst,
}


def reversed_order(clause):
    """asc for desc and the other way round; NULLS FIRST for NULLS LAST and back."""
    if isinstance(clause, UnaryExpression) and clause.modifier in _REVERSED:
        inner = clause.element
        if clause.modifier in (operators.nulls_first_op, operators.nulls_last_op):
            inner = reversed_order(inner)
        return _REVERSED[clause.modifier](inner)
    return sa.desc(clause)


class BothEndsPagination(SelectPagination):
    def _query_items(self) -> list:
        select, session = self._query_args["select"], self._query_args["session"]
        self._total = super()._query_count()
        before, after = self._query_offset, self._total - self._query_offset - self.per_page
        if after >= before or self._total <= self._query_offset:
            return super()._query_items()
        order = [reversed_order(clause) for clause in select._order_by_clauses]
        backwards = (
            select.order_by(None)
            .order_by(*order)
            .offset(max(after, 0))
            .limit(self.per_page + min(after, 0))
        )
        return list(reversed(session.execute(backwards).unique().scalars().all()))

    def _query_count(self) -> int:
        return self._total


def requested_page() -> int:
    """The page the query string asks for; page 1 for one that is no number or past the
    database's integers (Flask-SQLAlchemy's own reading would pass those to the OFFSET)."""
    return request.args.get("page", 1, type=db_int)


def paginate(select, per_page: int) -> BothEndsPagination:
    """db.paginate, reading pages past the middle from the end (see above)."""
    return BothEndsPagination(select=select, session=db.session(), page=requested_page(),
                              per_page=per_page, error_out=False)  # fmt: skip
