"""The month's workbook itemises a score as it is counted: every deduction and addition of a
service line with its source, its record, the raw points, the weight applied and the points
counted, and what the floor at 0 and the bonus cap took, so that 100 plus a line's rows is its
score, and the mean of a contractor's lines its overall score."""

from decimal import Decimal

from app.assessments.scoring import FULL_MARKS, ZERO, LineScore

SOURCES = {
    "finding": "检查发现",
    "complaint": "投诉属实",
    "overdue": "逾期整改通知",
    "warning": "书面退出预警",
    "bonus": "加分",
}


def score_rows(line: LineScore, bonus_cap: Decimal) -> list[list]:
    """[source, record, raw points, weight, points counted (signed), line score] per entry,
    then the floor's and the cap's adjustments where they apply."""
    rows = []
    for entry in line.deductions:
        source = SOURCES[entry.source or entry.kind]
        record = f"#{entry.ref_id} {entry.label}" if entry.kind == "finding" else entry.label
        raw = entry.raw if entry.raw is not None else entry.points
        rows.append([source, record, float(raw), float(entry.weight), -float(entry.points)])
    for entry in line.bonuses:
        rows.append([SOURCES["bonus"], entry.label, float(entry.points), 1.0, float(entry.points)])
    if line.deducted > FULL_MARKS:
        rows.append(["扣分以0分为限", "", None, None, float(line.deducted - FULL_MARKS)])
    if line.bonus > bonus_cap:
        rows.append(["加分超出上限", "", None, None, -float(line.bonus - max(bonus_cap, ZERO))])
    return [[*row, float(line.score)] for row in rows]
