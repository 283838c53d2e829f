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
# Then, for a whole run (no arguments), the logic and route tests run again on both databases
# with the clock moved (XUNJIAN_TEST_NOW, tests/conftest.py) to the moments where dates break:
# the first minutes of a month in Beijing (still the month before in UTC), New Year's Eve in
# Beijing, 29 February, an ordinary 20th. The browser's clock cannot be moved with them.
set -uo pipefail
cd "$(dirname "$0")/.."
PATH="$PWD/.venv/bin:$PATH"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

split=(-n 2 --dist loadscope)
MOMENTS=(2027-03-01T00:05+08:00 2026-12-31T23:50+08:00 2028-02-29T10:00+08:00 2027-05-20T14:00+08:00)

# both databases at once; the status is 0 when both passed; $logs/<label>-sqlite and -postgresql
both() {
  local label=$1
  shift
  XUNJIAN_TEST_DATABASE_URL="" XUNJIAN_TEST_STORAGE=s3 pytest "${split[@]}" "$@" \
    >"$logs/$label-sqlite" 2>&1 &
  local sqlite_run=$!
  XUNJIAN_TEST_STORAGE=folder scripts/with-postgres.sh pytest "${split[@]}" "$@" \
    >"$logs/$label-postgresql" 2>&1 &
  local pg_run=$!
  wait $sqlite_run
  sqlite_status=$?
  wait $pg_run
  pg_status=$?
  [ $sqlite_status -eq 0 ] && [ $pg_status -eq 0 ]
}

both now "$@"
status=$?
echo "=== pytest on SQLite ==="
cat "$logs/now-sqlite"
echo "=== pytest on PostgreSQL ==="
cat "$logs/now-postgresql"
summary="SQLite suite exit: $sqlite_status; PostgreSQL suite exit: $pg_status"

if [ $# -eq 0 ]; then
  for moment in "${MOMENTS[@]}"; do
    XUNJIAN_TEST_NOW=$moment both "$moment" -q --ignore=tests/browser -p no:cacheprovider
    moved=$?
    for db in sqlite postgresql; do
      echo "=== logic and route tests on $db at $moment: $(tail -n 1 "$logs/$moment-$db")"
      [ $moved -eq 0 ] || grep -E '^(FAILED|ERROR) ' "$logs/$moment-$db"
    done
    [ $moved -eq 0 ] || {
      status=1
      summary="$summary; failed at $moment"
      echo "--- the failing output at $moment ---"
      cat "$logs/$moment-sqlite" "$logs/$moment-postgresql"
    }
  done
fi
echo "$summary"
exit $status
