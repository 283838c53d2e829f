"""Where the checklist's forms post: the inspector's routes, or, for an external checker on a
guest link, the same actions under that link."""

from flask import g, url_for


def checklist_url(endpoint: str, **values) -> str:
    token = g.get("guest_token")
    if token:
        return url_for(f"inspections.guest_{endpoint}", token=token, **values)
    return url_for(f"inspections.{endpoint}", **values)


def item_url_pattern(inspection_id: int) -> str:
    """Where an item's answer, note and photos post (…/answer, …/note, …/photos after it),
    with "{item}" for the item's id: checklist.js fills it in."""
    answer = checklist_url("answer", inspection_id=inspection_id, item_id=0)
    return answer.removesuffix("0/answer") + "{item}/"
