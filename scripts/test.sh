#!/usr/bin/env bash
# The README's test command: installs what is missing, then runs lint, typecheck and every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium (browser tests)"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi
fi
echo "== npm ci"
npm ci --no-audit --no-fund
echo "== lint"
npx biome check .
echo "== typecheck and tests"
npx turbo run typecheck test --concurrency=2 --output-logs=new-only
