"""The finance office's spreadsheet of a month: scores, every point itemised, the findings and
the notices issued."""

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import selectinload

from app.assessments.monthly import assess_month
from app.assessments.reconciliation import score_rows
from app.catalog.models import ServiceLine, Severity
from app.catalog.rules import assessment_policy
from app.core.extensions import db
from app.core.spreadsheets import append_row
from app.core.timeutil import month_bounds
from app.notices.models import Notice, NoticeStatus


def month_workbook(month: str) -> Workbook:
    results = assess_month(month)
    lines = {line.id: line.name for line in db.session.scalars(sa.select(ServiceLine))}
    workbook = Workbook(write_only=True)  # rows streamed to the file, not kept and sorted
    _scores(workbook.create_sheet("考核得分"), results, lines)
    _itemised(workbook.create_sheet("扣分加分明细"), results, lines)
    _findings(workbook.create_sheet("问题清单"), results)
    _notices(workbook.create_sheet("整改通知"), month)
    return workbook


def _scores(scores, results, lines) -> None:
    append_row(
        scores,
        [
            "排名",
            "承包单位",
            "服务项目",
            "得分",
            "扣分",
            "加分",
            "综合得分",
            "满意率",
            "保证金奖惩（元）",
        ],
    )
    for r in results:
        for line in r.lines:
            append_row(
                scores,
                [
                    r.rank,
                    r.contractor.name,
                    lines[line.service_line_id],
                    float(line.score),
                    float(line.deducted),
                    float(line.bonus),
                    float(r.overall),
                    float(r.satisfaction) if r.satisfaction else None,
                    float(r.money),
                ],
            )


def _itemised(itemised, results, lines) -> None:
    append_row(
        itemised,
        ["承包单位", "服务项目", "来源", "记录", "原始分值", "权重", "计入分值", "该项得分"],
    )
    bonus_cap = assessment_policy().bonus_cap
    for r in results:
        for line in r.lines:
            for row in score_rows(line, bonus_cap):
                append_row(itemised, [r.contractor.name, lines[line.service_line_id], *row])


def _findings(findings, results) -> None:
    append_row(findings, ["发现时间", "承包单位", "检查点", "严重程度", "扣分", "说明", "检查"])
    severities = {severity: severity.label for severity in Severity}  # translated once, not per row
    for r in results:
        for f in r.findings:
            append_row(
                findings,
                [
                    f.found_at.strftime("%Y-%m-%d %H:%M"),
                    r.contractor.name,
                    f.title,
                    severities[f.severity],
                    float(f.deduction),
                    f.note,
                    f.inspection_id,
                ],
            )


def _notices(notices, month: str) -> None:
    start, end = month_bounds(month)
    statuses = {status: status.label for status in NoticeStatus}
    append_row(notices, ["编号", "承包单位", "状态", "签发时间", "问题数", "是否逾期"])
    for n in db.session.scalars(
        sa.select(Notice)
        .where(Notice.issued_at >= start, Notice.issued_at < end)
        .options(selectinload(Notice.items), selectinload(Notice.contractor))
        .order_by(Notice.serial)
    ):
        append_row(
            notices,
            [
                n.number,
                n.contractor.name,
                statuses[n.status],
                n.issued_at.strftime("%Y-%m-%d %H:%M"),
                len(n.items),
                "是" if n.overdue_at else "否",
            ],
        )
