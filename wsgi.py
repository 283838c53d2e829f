"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from app import create_app

app = create_app()
# Each worker compiles every template as it starts (under a second), not when the first
# visitor of each page reaches it (up to a quarter of a second for that visitor).
for name in app.jinja_env.list_templates():
    app.jinja_env.get_template(name)
# What is loaded by now lives as long as the process: kept out of the collector's full
# passes, which otherwise paused a request for up to 250 ms once a worker had served the
# month's heavy pages.
gc.freeze()
