"""Words that every page or card repeats, translated once per language while the app runs."""

from collections.abc import Callable

from flask import current_app
from flask_babel import get_locale


def once_per_language[T](name: str, build: Callable[[], T]) -> T:
    """What `build()` gives in the visitor's language: built on its first use in that language
    and kept by the app (its translations do not change while it runs). The caller must not
    change what it gets."""
    kept = current_app.extensions.setdefault(f"once_per_language:{name}", {})
    locale = str(get_locale())
    if locale not in kept:
        kept[locale] = build()
    return kept[locale]
