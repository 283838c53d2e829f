"""How a view answers: a domain change made or refused, a form page shown again, and htmx
fragments."""

from flask import flash, redirect, render_template, request

from app.core.extensions import db
from app.core.refusals import Refused


def apply(change, back: str, success: str | None = None, done=None):
    """Make a domain change and answer with a redirect. Refused: roll back, show why and go
    `back`. Done: commit, confirm with `success` if given, and go to `done` (a URL, or a
    function of what the change returned) or else `back`."""
    try:
        result = change()
    except Refused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(back)
    db.session.commit()
    if success:
        flash(success, "success")
    return redirect(done(result) if callable(done) else done or back)


def form_shown(template: str, **context):
    """A page with a form: 200 when it is first shown, 422 when it comes back because what
    was sent was refused (a successful POST redirects and never gets here)."""
    return render_template(template, **context), 422 if request.method == "POST" else 200


def form_messages(form) -> list[str]:
    """Every error of a form and of the forms inside it, each said once, in field order."""
    messages = []

    def collect(errors):
        if isinstance(errors, dict):
            for value in errors.values():
                collect(value)
        elif isinstance(errors, list | tuple):
            for value in errors:
                collect(value)
        elif errors and str(errors) not in messages:
            messages.append(str(errors))

    collect(form.errors)
    return messages


def page_or_fragment(page: str, fragment: str) -> str:
    """The template to render: a boosted navigation or a plain request gets the full page."""
    return fragment if request.htmx and not request.htmx.boosted else page
