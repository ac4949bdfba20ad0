#!/usr/bin/env bash
# Runs every test of civicline: installs the peers the tests use (PostgreSQL, sipp, baresip,
# espeak-ng, sox), starts a throw-away PostgreSQL cluster on 127.0.0.1, then runs the whole
# workspace's tests. Needs root for apt-get on a fresh Debian machine; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postgresql sip-tester baresip espeak-ng sox)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A private PostgreSQL cluster in a temporary directory, owned by the postgres user.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_dir=$(mktemp -d /tmp/civicline-pg.XXXXXX)
pg_port=${CIVICLINE_TEST_PG_PORT:-55432}
chown postgres "$pg_dir"
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-k $pg_dir -p $pg_port -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on" start >/dev/null
cleanup() {
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
}
trap cleanup EXIT
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "test.sh: PostgreSQL on 127.0.0.1:$pg_port"

# With no arguments, everything; otherwise what is asked, e.g. `-p store`.
if (($# == 0)); then set -- --workspace; fi
cargo nextest run --no-fail-fast "$@"
