"""The checklist page an inspector opens all day: small enough to send 60 items, and whole
without JavaScript (every form posts as HTML and the page comes back)."""

import re

import pytest

from app.catalog.models import Severity
from app.core.extensions import db
from app.inspections.checklist import Plan, start_inspection
from app.inspections.models import Answer, Scope
from app.inspections.recording import attach_photo, record_answer
from tests.helpers import jpeg, login

# As the demo's check points are written: a title, a standard of a sentence, a good practice.
TITLE = "大堂地面"
STANDARD = "大堂地面无污渍、无水迹、无杂物，石材地面光亮"
GOOD = "地面可见倒影，雨天及时铺设防滑垫"


@pytest.fixture
def checklists(cast, make_site, make_check_point):
    """Two drafts of the inspector's at one place: a strip check of 12 items, one of 60."""
    site = make_site("大堂")
    lines = {}
    for line_code, count in (("CLN", 12), ("CAT", 60)):
        for n in range(count):
            point = make_check_point(
                line_code=line_code,
                category=f"区域{n % 4}",
                title=f"{TITLE}{n}",
                standard=STANDARD,
                good_practice=GOOD,
                severity=Severity.MAJOR if n % 5 == 0 else Severity.GENERAL,
            )
        lines[count] = point.category.service_line
    cast.own.service_lines, cast.own.sites = list(lines.values()), [site]
    drafts = {
        count: start_inspection(Plan(Scope.STRIP, site, service_line=line), cast.inspector)
        for count, line in lines.items()
    }
    db.session.commit()
    return drafts


def page_bytes(client, inspection) -> int:
    response = client.get(f"/inspections/{inspection.id}/run")
    assert response.status_code == 200
    assert response.text.count('<li class="item') == len(inspection.items)
    return len(response.data)


def test_an_item_costs_the_checklist_page_at_most_1200_bytes(client, cast, checklists):
    login(client, cast.inspector)
    twelve, sixty = (page_bytes(client, checklists[n]) for n in (12, 60))
    per_item = (sixty - twelve) / 48
    assert per_item <= 1200, f"{per_item:.0f} bytes an item"
    assert sixty <= 3 * twelve, f"60 items: {sixty} bytes, 12 items: {twelve} bytes"


def forms_of_items(page: str, action: str) -> set[int]:
    """The items whose cards hold a form posting to their `action` (note, photos)."""
    return {int(n) for n in re.findall(rf'action="/inspections/\d+/items/(\d+)/{action}"', page)}


def test_without_scripts_a_failed_item_alone_gets_its_note_and_photo_forms(
    client, cast, checklists
):
    login(client, cast.inspector)
    draft = checklists[12]
    failed, passed = draft.items[0], draft.items[1]
    run = f"/inspections/{draft.id}/run"
    assert forms_of_items(client.get(run).text, "note") == set()

    # The page's one form: the button tapped is named by its item, its value the answer.
    for item, answer in ((failed, "fail"), (passed, "pass")):
        tap = client.post(f"/inspections/{draft.id}/answers", data={str(item.id): answer})
        assert tap.status_code == 302 and tap.location.endswith(f"/run#item-{item.id}")
    page = client.get(run).text
    assert forms_of_items(page, "note") == {failed.id}
    assert forms_of_items(page, "photos") == {failed.id}
    assert f'id="note-{failed.id}"' in page and f'id="photo-{failed.id}"' in page

    note = client.post(f"/inspections/{draft.id}/items/{failed.id}/note", data={"note": "有积水"})
    assert note.status_code == 302
    assert "有积水</textarea>" in client.get(run).text
    db.session.refresh(failed)
    db.session.refresh(passed)
    assert (failed.answer.value, passed.answer.value) == ("fail", "pass")


def test_a_tap_on_the_page_without_its_item_or_of_another_checklist_is_refused(
    client, cast, checklists
):
    login(client, cast.inspector)
    draft, other = checklists[12], checklists[60]
    answers = f"/inspections/{draft.id}/answers"
    assert client.post(answers, data={}).status_code == 400
    assert client.post(answers, data={str(draft.items[0].id): "maybe"}).status_code == 400
    assert client.post(answers, data={str(other.items[0].id): "pass"}).status_code == 404


def test_a_changed_answer_brings_its_card_with_its_photos_history_and_the_progress(
    client, cast, checklists
):
    """A changed answer's card is read in one statement with the checklist's counts: the
    card shows the item's photos and every answer, and the progress bar comes out of band
    with this checklist's numbers, not another's."""
    twelve = checklists[12]
    first, second, third = twelve.items[:3]
    record_answer(second, Answer.FAIL, cast.inspector)
    record_answer(third, Answer.PASS, cast.inspector)
    record_answer(first, Answer.FAIL, cast.inspector)
    photos = [attach_photo(first, jpeg(color=color), cast.inspector) for color in ("red", "blue")]
    record_answer(checklists[60].items[0], Answer.FAIL, cast.inspector)
    db.session.commit()
    login(client, cast.inspector)
    card = client.post(
        f"/inspections/{twelve.id}/items/{first.id}/answer",
        data={"answer": "pass"},
        headers={"HX-Request": "true"},
    )
    assert card.status_code == 200
    assert f'id="item-{first.id}"' in card.text
    assert all(f"/inspections/photos/{photo.id}" in card.text for photo in photos)
    assert "共 2 次作答" in card.text  # fail, then pass: each once, though with two photos
    progress = card.text[card.text.index('id="progress"') :]
    assert 'hx-swap-oob="true"' in progress and 'data-total="12"' in progress
    assert re.search(r'<progress max="12" value="3"', progress), progress
    assert re.search(r"progress-failed[^>]*>[^<]*1", progress), progress
