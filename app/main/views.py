import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, session
from flask_login import current_user, login_required

from app.core.extensions import db
from app.core.timeutil import utcnow
from app.inspections.access import can_start_inspections
from app.inspections.recent import recent_plans
from app.main.access import watches_accounts
from app.main.blueprint import bp
from app.main.forms import LanguageForm
from app.main.going_live import going_live_steps
from app.main.queues import current_queue
from app.web.offline import offline_page


@bp.get("/")
@login_required
def home():
    recent = recent_plans(current_user) if can_start_inspections(current_user) else []
    steps = going_live_steps() if watches_accounts(current_user) else None
    return offline_page(
        render_template(
            "main/home.html", queue=current_queue(), now=utcnow(), recent=recent, steps=steps
        )
    )


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        database = "error"
    status = "ok" if database == "ok" else "error"
    return jsonify(status=status, database=database), 200 if status == "ok" else 503


@bp.post("/language")
def set_language():
    lang = LanguageForm().lang.data or ""
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    back = request.referrer or "/"
    return redirect(back if back.startswith(request.host_url) else "/")
