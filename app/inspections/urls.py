"""Where the checklist's forms post: the inspector's routes, or, for an external checker on a
guest link, the same actions under that link."""

from flask import g, url_for


def checklist_url(endpoint: str, **values) -> str:
    token = g.get("guest_token")
    if token:
        return url_for(f"inspections.guest_{endpoint}", token=token, **values)
    return url_for(f"inspections.{endpoint}", **values)
