#!/usr/bin/env bash
# Run the whole suite on SQLite and on a throwaway PostgreSQL side by side (they share no
# state: SQLite copies its database per test, PostgreSQL runs in its own temporary cluster);
# print each run's output whole, SQLite's first; fail if either fails.
# One run keeps its files in object storage (a real S3 API server, moto, that the suite
# starts), the other in a local folder; the storage tests themselves use both in each run.
# S3 goes with SQLite's run, the shorter one, so the two end closer together.
# Each run is split over two processes (pytest-xdist; tests/conftest.py keeps some tests in
# one process): a run alone keeps one core busy only about 60% of the time (browsers, servers
# and workers it waits for), so four processes keep both cores busier.
set -uo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/.venv/bin:$PATH"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

split=(-n 2 --dist loadscope)
XUNJIAN_TEST_DATABASE_URL="" XUNJIAN_TEST_STORAGE=s3 pytest "${split[@]}" "$@" >"$logs/sqlite" 2>&1 &
sqlite_run=$!
XUNJIAN_TEST_STORAGE=folder scripts/with-postgres.sh pytest "${split[@]}" "$@" >"$logs/postgresql" 2>&1 &
pg_run=$!

wait $sqlite_run
sqlite_status=$?
echo "=== pytest on SQLite ==="
cat "$logs/sqlite"
wait $pg_run
pg_status=$?
echo "=== pytest on PostgreSQL ==="
cat "$logs/postgresql"

echo "SQLite suite exit: $sqlite_status; PostgreSQL suite exit: $pg_status"
[ $sqlite_status -eq 0 ] && [ $pg_status -eq 0 ]
