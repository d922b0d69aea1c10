#!/usr/bin/env bash
# Bounded soak of the example server (not part of CI): starts a fresh server on 127.0.0.1, runs
# the load tool's soak scenario against it (steady rooms with publishers, plus connect/disconnect
# churn), prints a line every --report seconds (sessions, rooms, messages, errors, memory, CPU),
# then stops the server with SIGTERM and checks that it exits.
#
#   bash scripts/soak.sh [DURATION_SECONDS] [extra LoadGen options...]
#   bash scripts/soak.sh 600 --rooms 10 --per-room 20 --rate 20 --churn 5 --report 30
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-600}
shift || true
port=${LOBBY_SOAK_PORT:-18181}
if [ ! -f examples/target/lobby-example-server.jar ] || [ ! -f lobby-bench/target/lobby-bench.jar ]; then
  mvn -q -B install -DskipTests
fi
# Every load connection comes from 127.0.0.1: no per-address limit.
LOBBY_PORT=$port LOBBY_MAX_CONNECTIONS_PER_IP=unlimited java -Xmx512m -jar examples/target/lobby-example-server.jar > target-soak-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -sf "http://127.0.0.1:$port/health" > /dev/null && break
  sleep 0.5
done
echo "server pid $server on port $port; JVM -Xmx512m"
java -cp lobby-bench/target/lobby-bench.jar io.github.lobby.bench.LoadGen soak \
  --url "ws://127.0.0.1:$port" --duration "$duration" --pid "$server" "$@"
kill -TERM $server
for _ in $(seq 1 40); do
  kill -0 $server 2>/dev/null || { echo "server exited after SIGTERM"; exit 0; }
  sleep 0.5
done
echo "server did not exit within 20 s of SIGTERM" >&2
exit 1
