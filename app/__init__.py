"""Xunjian (巡检): supervision of outsourced logistics services."""

import os
from importlib import import_module
from pathlib import Path

from flask import Flask, current_app, has_request_context, session
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app.core.config import load_config
from app.core.extensions import babel, compress, csrf, db, htmx, login_manager, migrate, talisman
from app.core.files import signed_link_origin
from app.core.transactions import end_reads_with_commit
from app.web.bounds import IdConverter, refuse_nul_bytes
from app.web.static_files import serve_static, static_url_path

# No inline script or style and nothing from elsewhere: markup injected into a page runs no
# code. Photos are previewed from blob: URLs before they are uploaded. Object storage that
# hands out signed links adds its own origin (content_security_policy).
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' blob:",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


# Each domain's routes, loaded by create_app: a package's __init__ loads only its blueprint, so
# that reading another domain's models never loads its views.
ROUTE_MODULES = (
    "app.main.views",
    "app.main.pwa",
    "app.main.errors",
    "app.auth.views",
    "app.auth.invitation_views",
    "app.catalog.contractor_views",
    "app.catalog.site_views",
    "app.catalog.evidence_views",
    "app.catalog.standards_views",
    "app.inspections.views",
    "app.inspections.report_views",
    "app.inspections.self_check_views",
    "app.inspections.external_views",
    "app.inspections.guest_views",
    "app.notices.views",
    "app.notices.warning_views",
    "app.plans.views",
    "app.feedback.complaint_views",
    "app.feedback.public_views",
    "app.feedback.survey_views",
    "app.assessments.views",
    "app.assessments.bulletin_views",
    "app.assessments.survey_views",
    "app.assessments.results_views",
    "app.analysis.views",
    "app.notify.views",
    "app.documents.views",
    "app.identity.views",
    "app.identity.app_views",
    "app.organisation.views",
    "app.organisation.account_views",
)


def create_app(config: dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("XUNJIAN_INSTANCE_PATH") or None,
        instance_relative_config=True,
        static_url_path=static_url_path(),
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.url_map.converters["int"] = IdConverter  # before any route is added
    load_config(app, config)
    serve_static(app)
    if app.config["PROXY_HOPS"]:
        # the client's address, scheme and host as the proxy saw them: the rate limits and
        # login throttling count real addresses, and links point at the public site
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    init_extensions(app)
    register_blueprints(app)

    from app.cli import register_cli
    from app.core.logs import configure_logging
    from app.main.templating import register_template_helpers

    register_cli(app)
    register_template_helpers(app)
    configure_logging(app)
    app.before_request(refuse_nul_bytes)  # after the log's, which stamps the request
    app.after_request(vary_on_htmx)
    return app


def init_extensions(app: Flask) -> None:
    db.init_app(app)
    end_reads_with_commit(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    htmx.init_app(app)
    compress.init_app(app)
    talisman.init_app(
        app,
        force_https=False,  # the reverse proxy redirects to HTTPS (README, production)
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=content_security_policy(app.config),
        frame_options="DENY",
        # secret links (guest checklists, complaint status) must not leak to other sites
        referrer_policy="no-referrer",
        permissions_policy={"camera": "(self)", "geolocation": "(self)", "microphone": "()"},
    )


def register_blueprints(app: Flask) -> None:
    for module in ROUTE_MODULES:
        import_module(module)
    from app.analysis import bp as analysis_bp
    from app.assessments import bp as assessments_bp
    from app.auth import bp as auth_bp
    from app.catalog import bp as catalog_bp
    from app.core import audit  # noqa: F401  (registers the model)
    from app.documents import bp as documents_bp
    from app.feedback import bp as feedback_bp
    from app.identity import bp as identity_bp
    from app.identity import models as identity_models  # noqa: F401  (registers the model)
    from app.inspections import bp as inspections_bp
    from app.jobs import models as job_models  # noqa: F401  (registers the model)
    from app.main import bp as main_bp
    from app.notices import bp as notices_bp
    from app.notify import bp as notify_bp
    from app.organisation import bp as organisation_bp
    from app.plans import bp as plans_bp
    from app.web import models as web_models  # noqa: F401  (registers the models)

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(inspections_bp)
    app.register_blueprint(notices_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(assessments_bp)
    app.register_blueprint(analysis_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(documents_bp)
    app.register_blueprint(identity_bp)
    app.register_blueprint(organisation_bp)


def vary_on_htmx(response):
    """A page and its htmx partial share a URL: caches must keep them apart."""
    response.vary.add("HX-Request")
    return response


def content_security_policy(config) -> dict[str, str]:
    """The policy, with the object store's origin when stored files are sent as signed links
    to it: pages show photos from there (img-src), and the service worker fetches them for
    the pages (connect-src)."""
    origin = signed_link_origin(config)
    if origin is None:
        return CONTENT_SECURITY_POLICY
    from_store = ("img-src", "connect-src")
    return {
        directive: f"{sources} {origin}" if directive in from_store else sources
        for directive, sources in CONTENT_SECURITY_POLICY.items()
    }


def select_locale() -> str:
    """The language the visitor chose, else Chinese (also outside requests: CLI, tests)."""
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Turn on foreign keys and WAL for SQLite, which has both off by default."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


__all__ = ["create_app"]
