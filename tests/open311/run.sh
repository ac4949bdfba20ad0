#!/usr/bin/env bash
# Open311 interoperability: public Open311 client libraries from PyPI (`three` and `georeport`)
# against a real `civicline serve` on a free loopback port with a temporary data directory and the
# Plovdiv demo. Installs the clients into a virtualenv under /tmp. Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=${CIVICLINE_OPEN311_VENV:-/tmp/civicline-open311-venv}
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check three==0.8.0 georeport==0.3.1

cargo build --quiet -p civicline --bin civicline
target_dir=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
binary="$target_dir/debug/civicline"

work=$(mktemp -d /tmp/civicline-open311.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
cat > "$work/civicline.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
data_dir = "$work/data"

# No phone switch here: it would take SIP port 5060 from anything else on the machine.
[telephony]
enabled = false
TOML

# The server runs on SQLite in the temporary directory, whatever the environment says.
env -u CIVICLINE_DATABASE_URL -u CIVICLINE_CONFIG "$binary" serve --config "$work/civicline.toml" \
    >"$work/server.log" 2>&1 &
server=$!
stop() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT

status=0
"$venv/bin/python" tests/open311/clients.py "http://127.0.0.1:$port" || status=$?
if ((status != 0)); then
    echo "open311: server log follows" >&2
    tail -n 50 "$work/server.log" >&2
fi
exit "$status"
