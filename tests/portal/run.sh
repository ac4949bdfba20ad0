#!/usr/bin/env bash
# Runs the portal's browser tests: builds civicline, starts `civicline serve` on a free port with
# a temporary data directory (the Plovdiv demo, e-mail to $TEST_SMTP_ADDR when set), then drives it
# with headless Chromium (tests/portal/portal.test.mjs). Needs node, npm and /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v npm >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

target_dir=${CARGO_TARGET_DIR:-target}
cargo build -q -p civicline
binary="$target_dir/debug/civicline"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d /tmp/civicline-portal.XXXXXX)
email_enabled=false smtp_host=127.0.0.1 smtp_port=25
if [[ -n "${TEST_SMTP_ADDR:-}" ]]; then
    email_enabled=true smtp_host=${TEST_SMTP_ADDR%:*} smtp_port=${TEST_SMTP_ADDR##*:}
fi
cat > "$work/civicline.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
data_dir = "$work/data"

# No phone switch here: it would take SIP port 5060 from anything else on the machine.
[telephony]
enabled = false

[portal]
posts_per_minute = 200

[notifications]
portal_url = "http://127.0.0.1:$port"
email_enabled = $email_enabled
smtp_host = "$smtp_host"
smtp_port = $smtp_port
smtp_from = "civicline@portal-test.example"
TOML

env -u CIVICLINE_DATABASE_URL "$binary" serve --config "$work/civicline.toml" > "$work/server.log" 2>&1 &
server=$!
stop() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done

cd tests/portal
[[ -d node_modules/playwright-core && -d node_modules/axe-core ]] || npm ci --no-audit --no-fund --silent
CIVICLINE_URL="http://127.0.0.1:$port" CIVICLINE_DATA_DIR="$work/data" npm test --silent || {
    echo "portal browser tests failed; server log:"; tail -50 "$work/server.log"; exit 1;
}
