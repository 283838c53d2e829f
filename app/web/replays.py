"""Forms the phone's outbox sends (a fix report, complaint evidence, documents) are done once
per client UUID, however often the phone resends them on a flaky connection."""

import uuid
from functools import wraps

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import inspect

from app.core.extensions import db
from app.web.models import DeliveredForm


def client_uuid() -> str | None:
    """The UUID the phone gave what it sends, so that a replay counts once."""
    value = request.form.get("client_uuid", "")
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        abort(400)


def once_per_client_uuid(view):
    """Run the view once per client UUID. The record of it is committed with the view's own
    change (a refused form leaves none, so its resend is judged again); a resend of a done
    form is sent where the first one went."""

    @wraps(view)
    def once(*args, **kwargs):
        key = client_uuid()
        if key is None:
            return view(*args, **kwargs)
        user_id = current_user.id if current_user.is_authenticated else None
        done = db.session.get(DeliveredForm, key)
        if done is not None:
            if done.user_id != user_id or done.path != request.path:
                abort(409)
            flash(_("This was already received."), "success")
            return redirect(done.location or url_for("main.home"))
        delivery = DeliveredForm(client_uuid=key, path=request.path, user_id=user_id)
        db.session.add(delivery)
        response = make_response(view(*args, **kwargs))
        state = inspect(delivery)
        if state.persistent and response.status_code in (301, 302, 303):
            delivery.location = response.location
            db.session.commit()
        return response

    return once
