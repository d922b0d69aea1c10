#!/usr/bin/env bash
# The cost of a room history across a cluster (docs/BENCHMARKS.md, "History across a cluster"):
# two example servers in cluster mode on this machine (HTTP 8081/8082, cluster 2552/2553), one room
# of 1,000 subscribers split over both, one publisher on the first, LoadGen fanout at full rate and
# at 50 msg/s, with lobby.history.size = 0 and then 100 (every broadcast through the room's
# sequencer). Build first: mvn -q -B install -DskipTests. Takes about two minutes; traffic to
# 127.0.0.1 only.
set -u
cd "$(dirname "$0")/.."
JAR=examples/target/lobby-example-server.jar
OPTS="-XX:+UseSerialGC -Xms128m -Xmn64m -XX:TieredStopAtLevel=1"
LOGS=$(mktemp -d)
for H in 0 100; do
  # Every load connection comes from 127.0.0.1: no per-address limit.
  LOBBY_CLUSTER_ENABLED=on LOBBY_PORT=8081 LOBBY_CLUSTER_PORT=2552 LOBBY_MAX_CONNECTIONS_PER_IP=unlimited \
    java $OPTS -Dlobby.history.size=$H -jar $JAR > "$LOGS/node1.log" 2>&1 &
  P1=$!
  sleep 3
  LOBBY_CLUSTER_ENABLED=on LOBBY_PORT=8082 LOBBY_CLUSTER_PORT=2553 LOBBY_MAX_CONNECTIONS_PER_IP=unlimited \
    LOBBY_SEED_NODES=pekko://lobby@127.0.0.1:2552 \
    java $OPTS -Dlobby.history.size=$H -jar $JAR > "$LOGS/node2.log" 2>&1 &
  P2=$!
  for _ in $(seq 1 60); do
    curl -sf http://127.0.0.1:8081/health > /dev/null && curl -sf http://127.0.0.1:8082/health > /dev/null && break
    sleep 1
  done
  sleep 8 # the cluster forms
  echo "== lobby.history.size = $H"
  for RATE in 0 50; do
    timeout 120 java -cp lobby-bench/target/lobby-bench.jar io.github.lobby.bench.LoadGen fanout \
      --urls ws://127.0.0.1:8081,ws://127.0.0.1:8082 --subscribers 1000 --publishers 1 \
      --rate $RATE --duration 10 --pid $P1,$P2 2>&1 | tail -6
  done
  kill $P1 $P2
  wait $P1 $P2 2> /dev/null
  sleep 2
done
echo "server logs: $LOGS"
