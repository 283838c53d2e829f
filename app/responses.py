"""How a view answers: a form page shown again, and htmx fragments."""

from flask import render_template, request


def form_shown(template: str, **context):
    """A page with a form: 200 when it is first shown, 422 when it comes back because what
    was sent was refused (a successful POST redirects and never gets here)."""
    return render_template(template, **context), 422 if request.method == "POST" else 200


def page_or_fragment(page: str, fragment: str) -> str:
    """The template to render: a boosted navigation or a plain request gets the full page."""
    return fragment if request.htmx and not request.htmx.boosted else page
