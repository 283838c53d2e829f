"""The quality-analysis meeting's pack (质量分析例会): the period's analysis and the measures
agreed, rendered into a PDF once when it is kept and served from the file store after."""

from datetime import date

from app.analysis.models import AnalysisMeeting
from app.analysis.selection import Selection
from app.core.audit import record_event
from app.core.extensions import db
from app.core.files import Kind, store_content


def keep_meeting(
    selection: Selection, held_on: date, measures: str, user, render
) -> AnalysisMeeting:
    """Store the pack `render(meeting)` makes and record the meeting; the caller commits."""
    meeting = AnalysisMeeting(
        held_on=held_on,
        first=selection.first,
        last=selection.last,
        selection=selection.args(),
        measures=measures.strip(),
        pdf_digest="",
        created_by=user,
    )
    pdf = render(meeting)
    meeting.pdf_digest = store_content(Kind.MEETING_PACK, pdf)
    db.session.add(meeting)
    record_event(
        "meeting_pack_kept",
        meeting,
        detail=f"{selection.first}–{selection.last}",
        actor=user,
    )
    return meeting
