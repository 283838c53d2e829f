#!/usr/bin/env bash
# Run the whole suite on SQLite, then on a throwaway PostgreSQL; fail if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/.venv/bin:$PATH"

echo "=== pytest on SQLite ==="
XUNJIAN_TEST_DATABASE_URL="" pytest "$@"
sqlite_status=$?

echo "=== pytest on PostgreSQL ==="
scripts/with-postgres.sh pytest "$@"
pg_status=$?

echo "SQLite suite exit: $sqlite_status; PostgreSQL suite exit: $pg_status"
[ $sqlite_status -eq 0 ] && [ $pg_status -eq 0 ]
