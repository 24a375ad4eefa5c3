#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs lint, the import-graph check, typecheck and every test suite
# (unit, integration on real loopback servers, and the browser tests in Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
# better-sqlite3 compiles from source here (its prebuilt download is not reachable).
export npm_config_build_from_source=true
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium (browser tests)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
if [ ! -x /usr/sbin/postfix ] || ! command -v dkimverify >/dev/null || ! command -v openssl >/dev/null; then
  # The SMTP bridge tests run a PRIVATE Postfix (own config and queue in a temp folder, loopback ports);
  # dkimverify (python3-dkim) checks our DKIM signatures with an implementation we did not write;
  # openssl makes the self-signed certificates of the STARTTLS tests.
  echo "== installing Debian's postfix, python3-dkim and openssl (SMTP bridge tests)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postfix python3-dkim openssl >/dev/null
  # Only the private instances the tests start are wanted; the system one stays off.
  $sudo postfix stop >/dev/null 2>&1 || true
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ ! -x /usr/sbin/haproxy ]; then
  # The PostgreSQL dialect's tests start a PRIVATE cluster (initdb in a temp folder, loopback port, stopped at
  # the end) and the replica tests a private haproxy in front of it; the system's instances are not used.
  echo "== installing Debian's postgresql and haproxy (PostgreSQL store and replica tests)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql haproxy >/dev/null
  # Only the private clusters the tests start are wanted; the packaged ones stay off.
  $sudo service postgresql stop >/dev/null 2>&1 || true
  $sudo service haproxy stop >/dev/null 2>&1 || true
fi
echo "== npm ci"
npm ci --no-audit --no-fund
set +e
echo "== lint, import graph, typecheck and tests (turbo; test:pg = the api and gateway suites again on PostgreSQL)"
log=$(mktemp)
npx turbo run lint graph typecheck test test:pg --concurrency=1 --continue --output-logs=full 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for every vitest run in every package.
node -e '
  const text = require("fs").readFileSync(process.argv[1], "utf8").replace(/\x1b\[[0-9;]*m/g, "")
  let passed = 0, failed = 0, skipped = 0
  for (const m of text.matchAll(/^\S*:test(?::pg)?:\s+Tests\s+(.*)\((\d+)\)\s*$/gm)) {
    for (const p of m[1].split("|")) {
      const [, n, what] = p.trim().match(/^(\d+) (\w+)/) ?? []
      if (what === "passed") passed += +n
      else if (what === "failed") failed += +n
      else if (what === "skipped" || what === "todo") skipped += +n
    }
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
' "$log"
rm -f "$log"
exit "$status"
