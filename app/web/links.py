"""Addresses in the app made outside a request (the worker, cron, a rendered document): its
path, and the whole link people outside open, which starts with PUBLIC_URL."""

from flask import current_app


def path_for(endpoint: str, **values) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def public_link(path: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + path
