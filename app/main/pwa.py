"""The installable app: manifest, service worker, offline fallback, and a fresh CSRF token for
the phone's outbox when it replays what was captured offline."""

from functools import cache

from flask import jsonify, make_response, render_template, url_for
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user

from app.core.languages import once_per_language
from app.core.uploads import too_large_message
from app.main.blueprint import bp
from app.web.offline import OFFLINE_PAGE_HEADER, outbox_session, session_answer
from app.web.static_files import STATIC_FOLDER, static_version

ICON_SIZES = (192, 512)


@cache
def _scripts() -> tuple[str, ...]:
    """Every script the pages load (fixed while the server runs, like static_version)."""
    return tuple(
        sorted(
            p.relative_to(STATIC_FOLDER).as_posix() for p in (STATIC_FOLDER / "js").rglob("*.js")
        )
    )


@bp.get("/sw.js")
def service_worker():
    shell = [
        url_for("static", filename=name)
        for name in ("css/app.css", *_scripts(), "icons/icon.svg", "icons/icon-192.png")
    ]
    response = make_response(
        render_template(
            "main/sw.js",
            version=static_version(),
            shell=shell + [url_for("main.offline"), url_for("main.manifest")],
            offline_header=OFFLINE_PAGE_HEADER,
        )
    )
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    icons = [
        {
            "src": url_for("static", filename=f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in ICON_SIZES
    ]
    icons.append(
        {
            "src": url_for("static", filename="icons/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    response = jsonify(
        name=_("Xunjian logistics inspection"),
        short_name=_("Xunjian"),
        lang="zh-CN",
        start_url=url_for("main.home"),
        scope="/",
        display="standalone",
        orientation="portrait",
        theme_color="#0b4f8a",
        background_color="#ffffff",
        icons=icons,
    )
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/offline")
def offline():
    # Cached once for whoever uses the phone next: it must not carry this user's name.
    return render_template(
        "main/offline.html", minimal=True, show_sync=True, current_user=AnonymousUserMixin()
    )


@bp.get("/session/token")
def session_token():
    """What the outbox needs before it replays: who is logged in, and a CSRF token."""
    return outbox_session(current_user.id if current_user.is_authenticated else None)


@bp.get("/session/public")
def public_session_token():
    """The same for a public form, which anyone may send: no login needed."""
    return session_answer(current_user.id if current_user.is_authenticated else None)


@bp.app_template_global()
def outbox_messages() -> dict[str, str]:
    """What the phone's outbox says, translated here; `{name}` is filled in by the script.
    Every page carries them: worked out once per language while the app runs."""
    return once_per_language("outbox_messages", _outbox_messages)


def _outbox_messages() -> dict[str, str]:
    return {
        "waiting": _("%(n)s captured on this phone, waiting to sync.", n="{n}"),
        "offline": _("No network: %(n)s kept on this phone until it returns.", n="{n}"),
        "syncing": _("Syncing %(done)s of %(total)s…", done="{done}", total="{total}"),
        "synced": _("Everything is saved on the server."),
        "retry": _("The server cannot be reached; trying again in %(s)s s.", s="{s}"),
        "login": _("Log in again to sync: %(n)s kept on this phone.", n="{n}"),
        "other_user": _(
            "%(n)s captured by another user on this phone wait for them to log in.", n="{n}"
        ),
        "refused": _("%(n)s refused by the server, kept until you decide (tap to see)", n="{n}"),
        "retry_one": _("Send again"),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this capture for good?"),
        "storage": _(
            "Kept on this phone: %(size)s; the browser can still store %(free)s.",
            size="{size}",
            free="{free}",
        ),
        "storage_low": _("Storage is almost full: sync before you take more photos."),
        "storage_full": _(
            "This phone's storage is full: the last capture could not be kept. "
            "Sync or free some space, then capture it again."
        ),
        "not_persistent": _(
            "This browser may clear stored work when the phone runs short of space: "
            "sync as soon as you can."
        ),
        "answer": _("Answer “%(answer)s” to %(title)s", answer="{answer}", title="{title}"),
        "note": _("Note on %(title)s", title="{title}"),
        "photo": _("Photo of %(title)s", title="{title}"),
        "pending": _("Waiting to sync"),
        "second_answer": _("%(n)d answers given; the latest tap stands", n=2),
        "form": "{title}",
        "preparing": _("Making the photos smaller…"),
        "kept": _("Kept on this phone: it is sent by itself as soon as the network allows."),
        "too_large": too_large_message(),
        "submit_blocked": _(
            "%(n)s captures are still waiting to sync: sync them before submitting.", n="{n}"
        ),
        "needs_network": _("That needs the network. What you captured is kept on this phone."),
        "logout_confirm": _(
            "%(n)s captures are not synced yet. They stay on this phone and sync when you "
            "log in again. Log out now?",
            n="{n}",
        ),
        **markup_messages(),
    }


def markup_messages() -> dict[str, str]:
    """What the photo markup editor (static/js/markup.js) says, read through the outbox's words."""
    return {
        "markup_title": _("Mark the problem"),
        "markup_hint": _(
            "Drag on the photo to circle or point; for words, type them, then tap where they go."
        ),
        "markup_canvas": _("The photo being marked up"),
        "markup_circle": _("Circle"),
        "markup_arrow": _("Arrow"),
        "markup_text": _("Words"),
        "markup_words": _("Words to place"),
        "markup_undo": _("Undo"),
        "markup_cancel": _("Cancel"),
        "markup_done": _("Finish"),
        "markup_tap": _("Mark up"),
        "markup_open": _("Mark up photo %(n)s", n="{n}"),
        "markup_marked": _("Photo %(n)s marked up (tap to redo)", n="{n}"),
        "markup_gone": _("That photo has just been sent: mark it up with the button under it."),
        "markup_offline": _("The photo could not be fetched: mark it up once the phone is online."),
    }
