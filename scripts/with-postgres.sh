#!/usr/bin/env bash
# Start a throwaway PostgreSQL on a private port, run the given command against it, stop it.
# Tests empty their tables by deleting rows; without autovacuum the space they leave is not
# reused, so rows come back in the order they were written, as from a fresh table.
set -euo pipefail
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pg_bin" ] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
port=${XUNJIAN_PG_PORT:-55432}
dir=$(mktemp -d /tmp/xunjian-pg.XXXXXX)
as_postgres=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as_postgres=(runuser -u postgres --)
fi
stop() {
  "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as_postgres[@]}" "$pg_bin/initdb" -D "$dir/data" -U xunjian --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-p $port -k $dir -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c autovacuum=off" start >/dev/null
"${as_postgres[@]}" "$pg_bin/createdb" -h "$dir" -p "$port" -U xunjian xunjian_test
export XUNJIAN_TEST_DATABASE_URL="postgresql+psycopg://xunjian@/xunjian_test?host=$dir&port=$port"
"$@"
