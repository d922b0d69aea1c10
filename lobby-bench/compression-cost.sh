#!/usr/bin/env bash
# The cost and gain of permessage-deflate (lobby.compression), measured against the example server.
#
#   lobby-bench/compression-cost.sh fanout N M   N subscribers in one room, M broadcasts of a
#                                                4 KB JSON message (daily statistics rows): wire
#                                                bytes and server CPU per delivery
#   lobby-bench/compression-cost.sh density N    N idle sessions: RSS and heap per session
#
# Each mode runs twice, each time against a fresh server: once with every client offering
# permessage-deflate (Node's ws, as browsers do), once with none offering it; then the ratios.
# Run from a clone after `mvn -B install -DskipTests`; the clients are Node's ws from clients/js
# (installed there with npm ci when missing). Traffic stays on 127.0.0.1. Environment:
# JAVA_OPTS (the server's JVM options; default the launcher's lean ones), LOBBY_JAR.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
jar="${LOBBY_JAR:-$root/examples/target/lobby-example-server.jar}"
if [ ! -f "$jar" ]; then
  echo "no server jar at $jar: run mvn -B install -DskipTests first" >&2
  exit 2
fi
if [ ! -d "$root/clients/js/node_modules/ws" ]; then
  (cd "$root/clients/js" && npm ci --no-audit --no-fund)
fi
case "${1:-}" in
  fanout) [ $# -eq 3 ] || { echo "usage: $0 fanout N M" >&2; exit 2; } ;;
  density) [ $# -eq 2 ] || { echo "usage: $0 density N" >&2; exit 2; } ;;
  *) echo "usage: $0 fanout N M | density N" >&2; exit 2 ;;
esac
# N connections from one address, plus the Node process's own descriptors.
ulimit -n 65536 2>/dev/null || true
export LOBBY_JAR="$jar"
exec node "$here/compression-cost.mjs" "$@"
