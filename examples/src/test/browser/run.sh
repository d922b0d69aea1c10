#!/usr/bin/env bash
# End-to-end test of the browser client: two headless Chromium pages against the example server.
# Installs what it needs when missing: Debian's chromium package and playwright-core from npm
# (playwright's own browser download is not used). Builds the server jar if it is not there.
set -euo pipefail
cd "$(dirname "$0")"
root=../../../..
jar=$root/examples/target/lobby-example-server.jar
if [ ! -f "$jar" ]; then
  (cd "$root" && mvn -q -B install -DskipTests)
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium
fi
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
npm test
