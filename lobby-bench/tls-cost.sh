#!/usr/bin/env bash
# What TLS on the listener costs (not part of CI): starts the example server on 127.0.0.1 twice,
# once plaintext (the lean path) and once with lobby.http.tls (Pekko HTTP's engine path behind
# Pekko's TLS stage), and for each opens N idle sessions with the load tool's density scenario
# (10 per room), holds them, and reports the server's RSS and live heap per idle session, the
# sessions opened per second (TCP + TLS handshakes + WebSocket upgrades, 200 at a time) and the
# server's CPU per connect; then the ratios TLS / plaintext. The key store is generated here with
# the JDK's keytool (RSA 2048, as most public certificates; LOBBY_TLS_COST_KEYALG=EC for P-256).
#
#   mvn -B install -DskipTests          # once, from a clone
#   bash lobby-bench/tls-cost.sh [N] [extra LoadGen options...]
#   bash lobby-bench/tls-cost.sh 10000 --hold 10
#
# Each server runs with the README's JVM options and -Dlobby.http.max-connections-per-ip=unlimited
# (every session comes from 127.0.0.1). Needs java (with keytool, jcmd, jstat) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
shift || true
port=${LOBBY_TLS_COST_PORT:-18281}
keyalg=${LOBBY_TLS_COST_KEYALG:-RSA}
server_jar=examples/target/lobby-example-server.jar
bench_jar=lobby-bench/target/lobby-bench.jar
for jar in "$server_jar" "$bench_jar"; do
  if [ ! -f "$jar" ]; then
    echo "$jar is missing: run mvn -B install -DskipTests first" >&2
    exit 1
  fi
done
java_bin=$(dirname "$(readlink -f "$(command -v java)")")
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

password=tls-cost-$$
if [ "$keyalg" = EC ]; then keyopts=(-keyalg EC -groupname secp256r1); else keyopts=(-keyalg RSA -keysize 2048); fi
"$java_bin/keytool" -genkeypair -alias lobby "${keyopts[@]}" -validity 2 \
  -dname "CN=localhost" -ext "san=ip:127.0.0.1,dns:localhost" -storetype PKCS12 \
  -keystore "$work/server.p12" -storepass "$password" -keypass "$password" 2> /dev/null

# run MODE: starts the server (plaintext or tls), runs density against it, stops it; leaves the
# summary line in $work/MODE.summary and the full output in $work/MODE.out.
run() {
  local mode=$1
  shift
  local scheme=ws curl_scheme=http tls_env=() loadgen_tls=()
  if [ "$mode" = tls ]; then
    scheme=wss
    curl_scheme=https
    tls_env=(LOBBY_TLS_KEYSTORE="$work/server.p12" LOBBY_TLS_KEYSTORE_PASSWORD="$password")
    loadgen_tls=(--trust-store "$work/server.p12" --trust-store-password "$password")
  fi
  env LOBBY_PORT="$port" LOBBY_ADMIN_TOKEN=tls-cost-admin-token "${tls_env[@]}" \
    java -XX:+UseSerialGC -Xms128m -Xmn64m -XX:TieredStopAtLevel=1 \
    -Dlobby.http.max-connections-per-ip=unlimited \
    -jar "$server_jar" > "$work/$mode-server.log" 2>&1 &
  server=$!
  local up=""
  for _ in $(seq 1 120); do
    if curl -sfk "$curl_scheme://127.0.0.1:$port/health/ready" > /dev/null; then up=yes; break; fi
    sleep 0.5
  done
  if [ -z "$up" ]; then
    echo "the $mode server did not become ready; its log:" >&2
    cat "$work/$mode-server.log" >&2
    exit 1
  fi
  echo "== $mode: server pid $server on $scheme://127.0.0.1:$port, $n idle sessions"
  "$java_bin/java" -cp "$bench_jar" io.github.lobby.bench.LoadGen density \
    --url "$scheme://127.0.0.1:$port" --n "$n" --pid "$server" --heap "${loadgen_tls[@]}" "$@" \
    | tee "$work/$mode.out"
  grep '^density-summary' "$work/$mode.out" > "$work/$mode.summary"
  kill -TERM "$server"
  for _ in $(seq 1 40); do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$server" 2>/dev/null; then
    echo "the $mode server did not exit within 20 s of SIGTERM" >&2
    exit 1
  fi
  server=""
}

run plain "$@"
run tls "$@"

# field FILE KEY: the value of KEY=... on the summary line.
field() { tr ' ' '\n' < "$1" | sed -n "s/^$2=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a >= 0) printf "%.2f", a / b; else print "-" }'; }
echo
echo "== TLS cost, $n idle sessions ($keyalg key)"
printf '%-28s %12s %12s %8s\n' "" plaintext tls "tls/plain"
for key in rss_kb_per_session heap_kb_per_session connect_per_s cpu_ms_per_connect; do
  p=$(field "$work/plain.summary" "$key")
  t=$(field "$work/tls.summary" "$key")
  printf '%-28s %12s %12s %8s\n' "$key" "$p" "$t" "$(ratio "$t" "$p")"
done
for mode in plain tls; do
  s=$(field "$work/$mode.summary" sessions)
  if [ "$s" != "$n" ]; then
    echo "warning: the $mode run opened $s of $n sessions" >&2
  fi
done
