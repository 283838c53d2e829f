#!/usr/bin/env bash
# Serve the app with gunicorn and run its worker beside it; when either stops (or on Ctrl-C),
# stop the other too.
set -uo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-5000}
.venv/bin/flask --app wsgi worker &
worker=$!
.venv/bin/gunicorn --workers 2 --bind "127.0.0.1:$port" wsgi:app &
web=$!
trap 'kill -TERM "$worker" "$web" 2>/dev/null' INT TERM
wait -n "$worker" "$web"
status=$?
kill -TERM "$worker" "$web" 2>/dev/null
wait
exit "$status"
