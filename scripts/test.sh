#!/usr/bin/env bash
# Runs every test of civicline: installs the peers the tests use (PostgreSQL, sipp, baresip,
# espeak-ng, sox), starts a throw-away PostgreSQL cluster on 127.0.0.1, then runs the whole
# workspace's tests. Needs root for apt-get on a fresh Debian machine; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postgresql sip-tester baresip espeak-ng sox chromium chromium-driver)
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

# A real SMTP server for the notification tests: aiosmtpd (PyPI) in a venv, storing what it
# receives in a Maildir that the tests read. `notify`'s tests fail in CI without it.
smtp_venv=${CIVICLINE_TEST_SMTP_VENV:-/tmp/civicline-smtp-venv}
if [[ ! -x "$smtp_venv/bin/aiosmtpd" ]]; then
    python3 -m venv "$smtp_venv" || {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
        python3 -m venv "$smtp_venv"
    }
    "$smtp_venv/bin/pip" install -q aiosmtpd
fi
smtp_dir=$(mktemp -d /tmp/civicline-smtp.XXXXXX)
smtp_port=${CIVICLINE_TEST_SMTP_PORT:-55025}
"$smtp_venv/bin/aiosmtpd" -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$smtp_dir/maildir" \
    >"$smtp_dir/log" 2>&1 &
smtp_pid=$!
trap 'cleanup; kill "$smtp_pid" 2>/dev/null || true; rm -rf "$smtp_dir"' EXIT
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
    sleep 0.1
done
export TEST_SMTP_ADDR="127.0.0.1:$smtp_port" TEST_SMTP_MAILDIR="$smtp_dir/maildir"
echo "test.sh: SMTP (aiosmtpd) on $TEST_SMTP_ADDR"

# With no arguments, everything; otherwise what is asked, e.g. `-p store`.
if (($# == 0)); then set -- --workspace; fi
cargo nextest run --no-fail-fast "$@"

# Lints, on the full run and in CI: the workspace's clippy and rustc lints, warnings as errors.
# (rustup's default profile has clippy; a toolchain without it says so and goes on.)
if [[ "$*" == "--workspace" || -n "${CI:-}" ]]; then
    if cargo clippy --version >/dev/null 2>&1; then
        cargo clippy --quiet --workspace --all-targets -- -D warnings
    else
        echo "test.sh: LINTS NOT RUN: this toolchain has no clippy (rustup component add clippy)"
    fi
fi

# Open311 interoperability: public Open311 client libraries from PyPI against a running server
# (tests/open311/run.sh). Part of the full run, and so of CI; a partial run (`-p store`) skips it.
if [[ "$*" == "--workspace" || -n "${CI:-}" ]]; then
    tests/open311/run.sh
fi

# The citizens' portal in headless Chromium (node + playwright-core + axe-core), against a
# `civicline serve` on a free port (tests/portal/run.sh). Part of the full run and CI, or asked
# for with CIVICLINE_BROWSER_TESTS=1.
if [[ "$*" == "--workspace" || -n "${CI:-}" || -n "${CIVICLINE_BROWSER_TESTS:-}" ]]; then
    tests/portal/run.sh
fi

# SIP interoperability: SIPp callers and agent phones (digest REGISTER, RFC 4733 DTMF, ring-out
# to a second agent, abandoned calls) and baresip on both sides with real audio checked by a
# Goertzel detector, against a `civicline serve` on free loopback ports (tests/sip/run.sh).
# Part of the full run and CI.
if [[ "$*" == "--workspace" || -n "${CI:-}" ]]; then
    tests/sip/run.sh
fi
