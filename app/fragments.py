"""How a view answers htmx: the fragment for a targeted request, the page for anything else."""

from flask import request


def page_or_fragment(page: str, fragment: str) -> str:
    """The template to render: a boosted navigation or a plain request gets the full page."""
    return fragment if request.htmx and not request.htmx.boosted else page
