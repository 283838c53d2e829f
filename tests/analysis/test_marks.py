"""Evidence marks counted per contractor on /analysis follow every filter the rest of the
contractor table follows (the place, the service line, the inspection's kind), whichever
kind of photo was marked, in as many statements however many photos there are."""

import pytest

from app.analysis.selection import photos_in, selection_from
from app.core.evidence import SOURCES, MarkKind, PhotoFacts, mark
from app.core.extensions import db
from app.feedback.complaints import accept, add_evidence, assign, file_complaint, uphold
from app.feedback.models import ComplaintChannel
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope, Tier
from app.inspections.recording import attach_photo, record_answer, record_note, submit
from app.notices.lifecycle import acknowledge, draft_notices, issue, report_fix
from tests.analysis.test_analysis import campus, figures_as, line  # noqa: F401  (a fixture)
from tests.evidence_photos import scene
from tests.helpers import IsolatedClient, login
from tests.test_query_counts import counting


def marked(kind: str, photo, owner_id: int, contractor) -> None:
    mark(
        PhotoFacts.of(kind, photo, owner_id=owner_id, contractor_id=contractor.id),
        MarkKind.FAR_FROM_PLACE,
        metres=900,
    )


def checked(cast, site, service_line, tier, seed: int):
    """A submitted strip check of `service_line` at `site`, failed, with a marked photo."""
    inspection = start_inspection(
        Plan(Scope.STRIP, site, service_line=service_line), cast.inspector, tier=tier
    )
    for item in inspection.items:
        record_answer(item, Answer.FAIL, cast.inspector)
        record_note(item, "不合格", cast.inspector)
    item = inspection.items[0]
    marked("inspection", attach_photo(item, scene(seed), cast.inspector), item.id, cast.own)
    submit(inspection, cast.inspector)
    return inspection


def fixed(cast, inspection, seed: int) -> None:
    """Its notice issued and a fix reported, with a marked photo."""
    (notice,) = draft_notices(inspection, cast.inspector)
    issue(notice, cast.inspector)
    acknowledge(notice, cast.owner)
    item = notice.items[0]
    report_fix(item, cast.owner, "已整改", [scene(seed)])
    marked("fix", item.fix_photos[0], item.id, cast.own)


def complained(cast, site, service_line, seed: int):
    """A complaint about the caterer's `service_line` at `site`, with a marked photo."""
    complaint, _token = file_complaint(
        ComplaintChannel.HOTLINE, "饭菜不热", "午餐送到时已凉", logged_by=cast.manager
    )
    accept(complaint, cast.manager)
    add_evidence(complaint, cast.inspector, "现场测温", [scene(seed)])
    assign(complaint, cast.manager, cast.own, service_line, site)
    marked("complaint", complaint.photos[0], complaint.id, cast.own)
    return complaint


@pytest.fixture
def marks(cast, campus):  # noqa: F811
    """Four marked photos of the caterer's (`cast.own`): a checklist photo on the first floor
    (cleaning, a daily check); one in the annex (catering, a monthly check) and the photo of
    its fix; a complaint's photo about catering in the annex, not yet decided."""
    cleaning, catering = line(cast, "CLN"), line(cast, "CAT")
    checked(cast, campus["first"], cleaning, Tier.DAILY, seed=1)
    fixed(cast, checked(cast, campus["annex"], catering, Tier.MONTHLY, seed=2), seed=3)
    complaint = complained(cast, campus["annex"], catering, seed=4)
    db.session.commit()
    return {"complaint": complaint}


def marks_of(cast, **args) -> int:
    figures = figures_as(cast.manager, **args)
    return sum(f.marks_total for f in figures.contractors if f.contractor.id == cast.own.id)


def test_every_marked_photo_counts_without_filters(cast, marks):
    figures = figures_as(cast.manager)
    [own] = [f for f in figures.contractors if f.contractor.id == cast.own.id]
    assert own.marks == {MarkKind.FAR_FROM_PLACE: 4}


def test_marks_follow_the_chosen_place(cast, campus, marks):  # noqa: F811
    assert marks_of(cast, site=str(campus["first"].id)) == 1
    assert marks_of(cast, site=str(campus["building"].id)) == 1, "the first floor is under it"
    assert marks_of(cast, site=str(campus["annex"].id)) == 3
    assert marks_of(cast, site=str(campus["second"].id)) == 0


def test_marks_follow_the_chosen_service_line(cast, marks):
    assert marks_of(cast, line=str(line(cast, "CLN").id)) == 1
    assert marks_of(cast, line=str(line(cast, "CAT").id)) == 3


def test_marks_follow_the_inspections_kind_and_a_complaint_once_upheld(cast, marks):
    assert marks_of(cast, tier="daily") == 1
    assert marks_of(cast, tier="monthly") == 2, "the annex's checklist photo and its fix"
    assert marks_of(cast, tier="ad_hoc") == 0, "an undecided complaint is no inspection"
    uphold(marks["complaint"], cast.manager, "属实")
    db.session.commit()
    assert marks_of(cast, tier="ad_hoc") == 1 and marks_of(cast, party="external") == 1


def test_every_kind_of_photo_that_can_be_marked_is_followed(cast):
    from werkzeug.datastructures import MultiDict

    assert set(photos_in(selection_from(MultiDict(), cast.manager))) == set(SOURCES)


def test_the_page_runs_as_many_statements_with_more_marked_photos(app, cast, campus, marks):  # noqa: F811
    catering = line(cast, "CAT")
    page = f"/analysis?site={campus['annex'].id}&line={catering.id}&tier=monthly"
    app.test_client_class = IsolatedClient  # each request its own session, as in production
    client = app.test_client()
    login(client, cast.manager)

    def statements(shown: int) -> int:
        with counting() as seen:
            response = client.get(page)
        assert response.status_code == 200 and f"距场所较远 {shown}" in response.text
        return len(seen)

    before = statements(shown=2)  # the annex's monthly checklist photo and its fix
    for seed in range(10, 13):
        fixed(cast, checked(cast, campus["annex"], catering, Tier.MONTHLY, seed=seed), seed + 10)
        complained(cast, campus["first"], catering, seed=seed + 20)
    db.session.commit()
    assert statements(shown=8) == before
