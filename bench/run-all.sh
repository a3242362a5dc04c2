#!/usr/bin/env bash
# Runs the full measurement set of BENCHMARKS.md and writes every summary and JSON line to one
# results file. It starts its own gateway (a copy of target/herald.jar, a generated config, a
# schema of its own), fresh for each scenario, and stops it and drops the schema at the end.
#
#   bench/run-all.sh                      # everything, full scale (takes ~6 minutes)
#   ONLY="connections e2e" bench/run-all.sh
#   OUT=/tmp/results.txt INGEST_DURATION=10s bench/run-all.sh
#   ONLY="delivery-webhook delivery-sms delivery-email delivery-latency scan" bench/run-all.sh   # the delivery set
#   ONLY=broadcast bench/run-all.sh       # time until the last of 15,000 sockets has a broadcast
#   ONLY=cluster bench/run-all.sh         # three clustered nodes (Redis fan-out) against one: cross-node push latency, deliveries/s
#
# Run it on a quiet machine: the figures mean nothing while other work competes for the cores.
# Every knob below can be set from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."

ONLY=${ONLY:-"wrk-ingest wrk-ingest100 ingest connections fanout e2e"}
OUT=${OUT:-bench/results-$(date +%Y%m%d-%H%M%S).txt}
PORT=${PORT:-18090}
SCHEMA=${SCHEMA:-bench_run}
KEY=${KEY:-bench-key-$$}
SECRET=${SECRET:-bench-secret-$$-0123456789abcdef}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_USER=${PG_USER:-postgres}
GATEWAY_OPTS=${GATEWAY_OPTS:-"-Xms2g -Xmx2g"}
BENCH_OPTS=${BENCH_OPTS:-"-Xmx2g"}
SOURCES=${SOURCES:-127.0.0.2,127.0.0.3}
# metrics.enabled of the gateway under test (false: to measure what the Prometheus meters cost);
# SCRAPE_EVERY=15 also scrapes /metrics every 15 s while the scenarios run, as Prometheus would
METRICS=${METRICS:-true}
SCRAPE_EVERY=${SCRAPE_EVERY:-}

INGEST_CONCURRENCY=${INGEST_CONCURRENCY:-64}
INGEST_DURATION=${INGEST_DURATION:-30s}
INGEST_WARMUP=${INGEST_WARMUP:-5s}
INGEST100_CONCURRENCY=${INGEST100_CONCURRENCY:-16}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
CONN_PER_PROCESS=${CONN_PER_PROCESS:-9500}
CONN_HOLD=${CONN_HOLD:-60s}
FANOUT_USERS=${FANOUT_USERS:-15000}
FANOUT_BATCH=${FANOUT_BATCH:-100}
FANOUT_CONCURRENCY=${FANOUT_CONCURRENCY:-16}
FANOUT_DURATION=${FANOUT_DURATION:-20s}
FANOUT_WARMUP=${FANOUT_WARMUP:-15s}
E2E_RATE=${E2E_RATE:-500}
E2E_USERS=${E2E_USERS:-50}
E2E_DURATION=${E2E_DURATION:-30s}
# delivery: the bench runs a stand-in provider on PROVIDER_PORT; each scenario's gateway has that channel pointed at it
PROVIDER_PORT=${PROVIDER_PORT:-18091}
DELIVERY_COUNT=${DELIVERY_COUNT:-50000}
DELIVERY_WARMUP_COUNT=${DELIVERY_WARMUP_COUNT:-30000}
DELIVERY_BATCH=${DELIVERY_BATCH:-100}
DELIVERY_CONCURRENCY=${DELIVERY_CONCURRENCY:-8}
DELIVERY_GRACE=${DELIVERY_GRACE:-40s}
DELIVERY_RATE=${DELIVERY_RATE:-500}
DELIVERY_DURATION=${DELIVERY_DURATION:-30s}
DELIVERY_LATENCY_WARMUP=${DELIVERY_LATENCY_WARMUP:-20s}
# channels.X.concurrency of the gateway under test (conf/herald.json: 64 for HTTP channels, 16 for e-mail); empty keeps the default
WEBHOOK_CONCURRENCY=${WEBHOOK_CONCURRENCY:-}
SMS_CONCURRENCY=${SMS_CONCURRENCY:-}
EMAIL_CONCURRENCY=${EMAIL_CONCURRENCY:-}
DRAIN_COUNT=${DRAIN_COUNT:-20000}
DRAIN_HOLD=${DRAIN_HOLD:-20s}
SCAN_COUNT=${SCAN_COUNT:-100000}
BROADCAST_SOCKETS=${BROADCAST_SOCKETS:-15000}
BROADCAST_ROUNDS=${BROADCAST_ROUNDS:-10}
# cluster: three nodes on this machine, Hazelcast on loopback, fan-out through the Redis on REDIS_URI
CLUSTER_RATE=${CLUSTER_RATE:-1000}
CLUSTER_USERS=${CLUSTER_USERS:-60}
CLUSTER_DURATION=${CLUSTER_DURATION:-30s}
CLUSTER_NODE_OPTS=${CLUSTER_NODE_OPTS:-"-Xms1g -Xmx1g"}
CLUSTER_DELIVERY_COUNT=${CLUSTER_DELIVERY_COUNT:-30000}
REDIS_URI=${REDIS_URI:-redis://127.0.0.1:6379}

WORK=$(mktemp -d /tmp/herald-bench.XXXXXX)
URL="http://127.0.0.1:$PORT"
GATEWAY_PID=""

say() { echo "[run-all $(date +%H:%M:%S)] $*" >&2; }
record() { tee -a "$OUT"; }

# One process may hold at most this many open files here; 9,500 sockets a bench process, 19,000 in the gateway.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 20000 ]; then
  say "warning: open-file limit is $(ulimit -n); 19,000 sockets in one gateway need about 19,200"
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "building target/herald.jar"
  mvn -B -q -DskipTests package
fi
# the gateway and the bench run from a copy, so a rebuild during the run cannot pull classes from under them
cp target/herald.jar "$WORK/herald.jar"
sed -e "s/\"port\": 8080/\"port\": $PORT/" -e "s/\"schema\": \"herald\"/\"schema\": \"$SCHEMA\"/" \
    -e "s/\"key\": \"change-me\"/\"key\": \"$KEY\"/" -e "s/\"secret\": \"change-me-too\"/\"secret\": \"$SECRET\"/" \
    -e "s/\"metrics\": *{ \"enabled\": true/\"metrics\":  { \"enabled\": $METRICS/" \
    conf/herald.json > "$WORK/herald-bench.json"
grep -q "\"port\": $PORT" "$WORK/herald-bench.json" && grep -q "\"schema\": \"$SCHEMA\"" "$WORK/herald-bench.json" \
  && grep -q "\"metrics\": *{ \"enabled\": $METRICS" "$WORK/herald-bench.json" \
  || { say "could not write the gateway config from conf/herald.json"; exit 1; }

# Writes a gateway config with one external channel enabled and pointed at the bench's stand-in
# provider on 127.0.0.1:PROVIDER_PORT (webhook: a fresh whsec_ secret; sms/whatsapp: Twilio API;
# email: plain SMTP), with channels.X.concurrency set when $3 is not empty. Prints its path.
channel_config() {
  local channel=$1 file="$WORK/herald-$1.json"
  python3 - "$WORK/herald-bench.json" "$file" "$channel" "$PROVIDER_PORT" "${2:-}" <<'PY'
import base64, json, os, sys
src, dst, channel, port, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
config = json.load(open(src))
ch = config["channels"][channel]
ch["enabled"] = True
if channel == "webhook":
    ch.update(url=f"http://127.0.0.1:{port}/hook", secret="whsec_" + base64.b64encode(os.urandom(32)).decode())
elif channel in ("sms", "whatsapp"):
    ch.update({"provider": "twilio", "baseUrl": f"http://127.0.0.1:{port}", "accountSid": "ACbench", "authToken": "bench-token",
               "from": "+15550000000"})
else:
    ch["smtp"].update(host="127.0.0.1", port=port, ssl=False, starttls="DISABLED", username=None, password=None)
if concurrency:
    ch["concurrency"] = int(concurrency)
json.dump(config, open(dst, "w"), indent=2)
PY
  echo "$file"
}

start_gateway() {
  local config=${1:-$WORK/herald-bench.json}
  # every scenario starts from an empty schema, after a checkpoint and a short rest, so one
  # scenario's leftovers (big tables, autovacuum, dirty buffers) do not weigh on the next
  psql -q -h "$PG_HOST" -U "$PG_USER" -c "drop schema if exists $SCHEMA cascade" > /dev/null 2>&1 || true
  psql -q -h "$PG_HOST" -U "$PG_USER" -c "checkpoint" > /dev/null 2>&1 || true
  sleep "${REST_SECONDS:-5}"
  say "starting a gateway on port $PORT (schema $SCHEMA)"
  # shellcheck disable=SC2086
  java $GATEWAY_OPTS -jar "$WORK/herald.jar" --conf "$config" >> "$WORK/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  for _ in $(seq 120); do
    if curl -fs "$URL/health/ready" > /dev/null 2>&1; then
      if [ -n "$SCRAPE_EVERY" ]; then
        # scrape as Prometheus would, for as long as this gateway runs
        (while kill -0 "$GATEWAY_PID" 2> /dev/null; do curl -fs -o /dev/null "$URL/metrics" || true; sleep "$SCRAPE_EVERY"; done) &
      fi
      return 0
    fi
    kill -0 "$GATEWAY_PID" 2> /dev/null || { say "gateway exited; see $WORK/gateway.log"; exit 1; }
    sleep 0.5
  done
  say "gateway not ready after 60 s; see $WORK/gateway.log"
  exit 1
}

stop_gateway() {
  if [ -n "$GATEWAY_PID" ] && kill -0 "$GATEWAY_PID" 2> /dev/null; then
    kill "$GATEWAY_PID"
    wait "$GATEWAY_PID" 2> /dev/null || true
  fi
  GATEWAY_PID=""
}

NODE_PIDS=()
NODE_URLS=()

# Three nodes of one cluster (node 0 on PORT, the others on PORT+100 and PORT+200), each from the
# given single-node config plus cluster.* and redis.uri; waits until each sees three members.
start_cluster() {
  local base=$1
  psql -q -h "$PG_HOST" -U "$PG_USER" -c "drop schema if exists $SCHEMA cascade" > /dev/null 2>&1 || true
  psql -q -h "$PG_HOST" -U "$PG_USER" -c "checkpoint" > /dev/null 2>&1 || true
  sleep "${REST_SECONDS:-5}"
  NODE_URLS=()
  for i in 0 1 2; do
    local port=$((PORT + 100 * i))
    python3 - "$base" "$WORK/herald-node$i.json" "$port" "$i" "$REDIS_URI" <<'PY'
import json, sys
src, dst, port, index, redis = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
config = json.load(open(src))
config["http"]["port"] = port
config["redis"]["uri"] = redis
config["cluster"].update(enabled=True, host="127.0.0.1", port=15701 + index,
                         members=[f"127.0.0.1:{15701 + j}" for j in range(3)])
json.dump(config, open(dst, "w"), indent=2)
PY
    say "starting cluster node $i on port $port"
    java $CLUSTER_NODE_OPTS -jar "$WORK/herald.jar" --conf "$WORK/herald-node$i.json" >> "$WORK/node$i.log" 2>&1 &
    NODE_PIDS+=($!)
    NODE_URLS+=("http://127.0.0.1:$port")
  done
  for url in "${NODE_URLS[@]}"; do
    for _ in $(seq 180); do
      members=$(curl -fs -H "Authorization: Bearer $KEY" "$url/v1/stats" 2> /dev/null \
        | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["cluster"]["members"]))' 2> /dev/null || echo 0)
      [ "$members" = 3 ] && break
      sleep 0.5
    done
    [ "$members" = 3 ] || { say "$url does not see three cluster members; see $WORK/node*.log"; exit 1; }
  done
}

stop_cluster() {
  for pid in "${NODE_PIDS[@]}"; do
    kill "$pid" 2> /dev/null || true
  done
  for pid in "${NODE_PIDS[@]}"; do
    wait "$pid" 2> /dev/null || true
  done
  NODE_PIDS=()
}

cleanup() {
  stop_cluster
  stop_gateway
  if [ "${KEEP_SCHEMA:-0}" != 1 ]; then
    psql -q -h "$PG_HOST" -U "$PG_USER" -c "drop schema if exists $SCHEMA cascade" > /dev/null 2>&1 \
      || say "could not drop schema $SCHEMA"
  fi
}
trap cleanup EXIT

bench() {
  # shellcheck disable=SC2086
  java $BENCH_OPTS -jar "$WORK/herald.jar" bench "$@" --url "$URL"
}

# Heap in use after a full GC, in KiB (sums the "used" of every heap space jcmd lists).
heap_kib() {
  jcmd "$1" GC.run > /dev/null
  sleep 1
  jcmd "$1" GC.heap_info | awk '/total/ && /used/ && !/Metaspace|class space/ {
    for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); gsub(/[^0-9]/, "", v); sum += v } } END { print sum + 0 }'
}

rss_kib() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

{
  echo "# Herald benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# commit $(git rev-parse --short HEAD 2> /dev/null || echo unknown)$(git diff --quiet 2> /dev/null || echo ' (with local changes)')"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(java -version 2>&1 | head -1)"
  echo "# gateway: java $GATEWAY_OPTS; bench: java $BENCH_OPTS; open-file limit $(ulimit -n)"
  echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | record

for scenario in $ONLY; do
  case "$scenario" in
    ingest)
      start_gateway
      say "ingest, 1 recipient: concurrency $INGEST_CONCURRENCY for $INGEST_DURATION"
      bench ingest --key "$KEY" --concurrency "$INGEST_CONCURRENCY" --duration "$INGEST_DURATION" --warmup "$INGEST_WARMUP" \
        --recipients 1 2> "$WORK/ingest.err" | record || say "ingest failed; see $WORK/ingest.err"
      stop_gateway
      ;;
    wrk-ingest|wrk-ingest100)
      # wrk (Debian package "wrk") drives ingest with a fraction of the CPU the Java load tool needs,
      # which matters when the load tool shares 2 cores with the gateway and PostgreSQL
      command -v wrk > /dev/null || { say "wrk is not installed (apt-get install wrk); skipping $scenario"; continue; }
      recipients=1
      [ "$scenario" = wrk-ingest100 ] && recipients=100
      connections=$WRK_CONNECTIONS
      [ "$scenario" = wrk-ingest100 ] && connections=$INGEST100_CONCURRENCY
      start_gateway
      say "$scenario: wrk, $connections connections, $recipients recipient(s) per request, for $INGEST_DURATION"
      wrk -t1 -c"$connections" -d"$INGEST_WARMUP" -s bench/ingest.lua "$URL/v1/notifications" -- "$KEY" "$recipients" > /dev/null
      {
        echo
        echo "=== wrk ingest: $connections connections, $recipients recipient(s) per request, $INGEST_DURATION after a $INGEST_WARMUP warm-up ==="
        wrk -t1 -c"$connections" -d"$INGEST_DURATION" -s bench/ingest.lua "$URL/v1/notifications" -- "$KEY" "$recipients"
      } | record
      stop_gateway
      ;;
    ingest100)
      start_gateway
      say "ingest, 100 recipients: concurrency $INGEST100_CONCURRENCY for $INGEST_DURATION"
      bench ingest --key "$KEY" --concurrency "$INGEST100_CONCURRENCY" --duration "$INGEST_DURATION" --warmup "$INGEST_WARMUP" \
        --recipients 100 2> "$WORK/ingest100.err" | record || say "ingest100 failed; see $WORK/ingest100.err"
      stop_gateway
      ;;
    connections)
      start_gateway
      sleep 3
      heap_before=$(heap_kib "$GATEWAY_PID")
      rss_before=$(rss_kib "$GATEWAY_PID")
      say "connections: 2 x $CONN_PER_PROCESS sockets from $SOURCES (heap before: $heap_before KiB)"
      IFS=, read -r source1 source2 <<< "$SOURCES"
      rm -f "$WORK"/conn-*.ready
      bench connections --secret "$SECRET" --count "$CONN_PER_PROCESS" --sources "$source1" --first-user 0 \
        --hold "$CONN_HOLD" --ready-file "$WORK/conn-1.ready" > "$WORK/conn-1.out" 2> "$WORK/conn-1.err" &
      conn1=$!
      bench connections --secret "$SECRET" --count "$CONN_PER_PROCESS" --sources "${source2:-$source1}" \
        --first-user "$CONN_PER_PROCESS" --hold "$CONN_HOLD" --ready-file "$WORK/conn-2.ready" > "$WORK/conn-2.out" 2> "$WORK/conn-2.err" &
      conn2=$!
      for _ in $(seq 600); do
        [ -f "$WORK/conn-1.ready" ] && [ -f "$WORK/conn-2.ready" ] && break
        kill -0 "$conn1" 2> /dev/null || kill -0 "$conn2" 2> /dev/null || break
        sleep 0.5
      done
      sleep 2
      heap_after=$(heap_kib "$GATEWAY_PID")
      rss_after=$(rss_kib "$GATEWAY_PID")
      open1=$(awk '{ print $2 }' "$WORK/conn-1.ready" 2> /dev/null || echo 0)
      open2=$(awk '{ print $2 }' "$WORK/conn-2.ready" 2> /dev/null || echo 0)
      wait "$conn1" || true
      wait "$conn2" || true
      cat "$WORK/conn-1.out" "$WORK/conn-2.out" | record
      open=$((open1 + open2))
      awk -v open="$open" -v hb="$heap_before" -v ha="$heap_after" -v rb="$rss_before" -v ra="$rss_after" 'BEGIN {
        per_heap = open > 0 ? (ha - hb) * 1024 / open : 0; per_rss = open > 0 ? (ra - rb) * 1024 / open : 0
        printf "\n=== gateway memory for %d open sockets (jcmd GC.run + GC.heap_info, /proc VmRSS) ===\n", open
        printf "  heap after full GC   before %d KiB, after %d KiB: %.0f bytes (%.2f KiB) per socket\n", hb, ha, per_heap, per_heap / 1024
        printf "  RSS                  before %d KiB, after %d KiB: %.0f bytes (%.2f KiB) per socket\n", rb, ra, per_rss, per_rss / 1024
        printf "{\"bench\":\"connections-gateway\",\"sockets\":%d,\"heap_before_kib\":%d,\"heap_after_kib\":%d,\"heap_per_socket_bytes\":%.0f,\"rss_before_kib\":%d,\"rss_after_kib\":%d,\"rss_per_socket_bytes\":%.0f}\n",
          open, hb, ha, per_heap, rb, ra, per_rss
      }' | record
      stop_gateway
      ;;
    fanout)
      start_gateway
      say "fanout: $FANOUT_USERS sockets from $SOURCES, batches of $FANOUT_BATCH for $FANOUT_DURATION"
      bench fanout --key "$KEY" --secret "$SECRET" --users "$FANOUT_USERS" --sources "$SOURCES" --batch "$FANOUT_BATCH" \
        --concurrency "$FANOUT_CONCURRENCY" --duration "$FANOUT_DURATION" --warmup "$FANOUT_WARMUP" 2> "$WORK/fanout.err" | record || say "fanout failed; see $WORK/fanout.err"
      stop_gateway
      ;;
    e2e)
      start_gateway
      say "e2e: $E2E_RATE/s to $E2E_USERS users for $E2E_DURATION"
      bench e2e --key "$KEY" --secret "$SECRET" --rate "$E2E_RATE" --users "$E2E_USERS" --duration "$E2E_DURATION" \
        2> "$WORK/e2e.err" | record || say "e2e failed; see $WORK/e2e.err"
      stop_gateway
      ;;
    cluster)
      # the same load on three clustered nodes and then on one: push latency and webhook deliveries/s
      config=$(channel_config webhook "$WEBHOOK_CONCURRENCY")
      start_cluster "$config"
      nodes=$(IFS=,; echo "${NODE_URLS[*]}")
      say "cluster e2e: $CLUSTER_RATE/s to $CLUSTER_USERS users spread over 3 nodes, each ingested on another node, for $CLUSTER_DURATION"
      echo "# cluster: 3 nodes ($CLUSTER_NODE_OPTS each), Redis $REDIS_URI" | record
      # three fresh JVMs on shared cores take a while to compile their hot paths: one unmeasured pass first
      bench e2e --key "$KEY" --secret "$SECRET" --rate "$CLUSTER_RATE" --users "$CLUSTER_USERS" --duration 15s \
        --nodes "$nodes" --cross-node --prefix bench-w > "$WORK/cluster-e2e-warmup.out" 2>&1 || true
      bench e2e --key "$KEY" --secret "$SECRET" --rate "$CLUSTER_RATE" --users "$CLUSTER_USERS" --duration "$CLUSTER_DURATION" \
        --nodes "$nodes" --cross-node --prefix bench-x 2> "$WORK/cluster-e2e.err" | record || say "cluster e2e failed; see $WORK/cluster-e2e.err"
      say "cluster delivery: $CLUSTER_DELIVERY_COUNT webhook deliveries ingested on node 0, sent by every node's worker"
      bench delivery --key "$KEY" --channel webhook --mode throughput --provider-port "$PROVIDER_PORT" --count "$CLUSTER_DELIVERY_COUNT" \
        --batch "$DELIVERY_BATCH" --concurrency "$DELIVERY_CONCURRENCY" --grace "$DELIVERY_GRACE" \
        2> "$WORK/cluster-delivery.err" | record || say "cluster delivery failed; see $WORK/cluster-delivery.err"
      stop_cluster
      GATEWAY_OPTS_SAVED=$GATEWAY_OPTS
      GATEWAY_OPTS=$CLUSTER_NODE_OPTS
      start_gateway "$config"
      GATEWAY_OPTS=$GATEWAY_OPTS_SAVED
      echo "# one node ($CLUSTER_NODE_OPTS), no Redis" | record
      say "one-node e2e: $CLUSTER_RATE/s to $CLUSTER_USERS users for $CLUSTER_DURATION"
      bench e2e --key "$KEY" --secret "$SECRET" --rate "$CLUSTER_RATE" --users "$CLUSTER_USERS" --duration 15s \
        --prefix bench-w > "$WORK/single-e2e-warmup.out" 2>&1 || true
      bench e2e --key "$KEY" --secret "$SECRET" --rate "$CLUSTER_RATE" --users "$CLUSTER_USERS" --duration "$CLUSTER_DURATION" \
        --prefix bench-x 2> "$WORK/single-e2e.err" | record || say "one-node e2e failed; see $WORK/single-e2e.err"
      bench delivery --key "$KEY" --channel webhook --mode throughput --provider-port "$PROVIDER_PORT" --count "$CLUSTER_DELIVERY_COUNT" \
        --batch "$DELIVERY_BATCH" --concurrency "$DELIVERY_CONCURRENCY" --grace "$DELIVERY_GRACE" \
        2> "$WORK/single-delivery.err" | record || say "one-node delivery failed; see $WORK/single-delivery.err"
      stop_gateway
      ;;
    delivery-webhook|delivery-sms|delivery-email)
      channel=${scenario#delivery-}
      case "$channel" in
        webhook) concurrency=$WEBHOOK_CONCURRENCY ;;
        sms) concurrency=$SMS_CONCURRENCY ;;
        email) concurrency=$EMAIL_CONCURRENCY ;;
      esac
      start_gateway "$(channel_config "$channel" "$concurrency")"
      say "$scenario: $DELIVERY_COUNT deliveries, $DELIVERY_BATCH recipients per request, $DELIVERY_CONCURRENCY requests in flight"
      echo "# $scenario: channels.$channel.concurrency ${concurrency:-default}" | record
      # an unmeasured first pass on the same gateway, as wrk's warm-up: a fresh JVM sharing 2 cores takes
      # tens of seconds to compile the delivery path, and the measured pass should not be that ramp
      bench delivery --key "$KEY" --channel "$channel" --mode throughput --provider-port "$PROVIDER_PORT" --count "$DELIVERY_WARMUP_COUNT" \
        --batch "$DELIVERY_BATCH" --concurrency "$DELIVERY_CONCURRENCY" --grace "$DELIVERY_GRACE" > "$WORK/$scenario-warmup.out" 2>&1 \
        || say "$scenario warm-up failed; see $WORK/$scenario-warmup.out"
      bench delivery --key "$KEY" --channel "$channel" --mode throughput --provider-port "$PROVIDER_PORT" --count "$DELIVERY_COUNT" \
        --batch "$DELIVERY_BATCH" --concurrency "$DELIVERY_CONCURRENCY" --grace "$DELIVERY_GRACE" \
        2> "$WORK/$scenario.err" | record || say "$scenario failed; see $WORK/$scenario.err"
      stop_gateway
      ;;
    delivery-drain)
      # the delivery path alone: DRAIN_COUNT notifications written with sendAt DRAIN_HOLD ahead, then
      # released together (the worker queue holds 20,000, so keep DRAIN_COUNT at or below that)
      for channel in webhook sms; do
        [ "$channel" = webhook ] && concurrency=$WEBHOOK_CONCURRENCY || concurrency=$SMS_CONCURRENCY
        start_gateway "$(channel_config "$channel" "$concurrency")"
        bench delivery --key "$KEY" --channel "$channel" --mode throughput --provider-port "$PROVIDER_PORT" --count "$DELIVERY_WARMUP_COUNT" \
          --batch "$DELIVERY_BATCH" --concurrency "$DELIVERY_CONCURRENCY" --grace "$DELIVERY_GRACE" > "$WORK/drain-$channel-warmup.out" 2>&1 \
          || say "drain warm-up ($channel) failed; see $WORK/drain-$channel-warmup.out"
        say "delivery-drain: $channel, $DRAIN_COUNT held for $DRAIN_HOLD then released"
        echo "# delivery-drain-$channel: channels.$channel.concurrency ${concurrency:-default}" | record
        bench delivery --key "$KEY" --channel "$channel" --mode throughput --provider-port "$PROVIDER_PORT" --count "$DRAIN_COUNT" \
          --batch "$DELIVERY_BATCH" --concurrency "$DELIVERY_CONCURRENCY" --grace "$DELIVERY_GRACE" --hold "$DRAIN_HOLD" \
          --warmup "$DRAIN_HOLD" --max-backlog 100000000 2> "$WORK/drain-$channel.err" | record \
          || say "delivery-drain ($channel) failed; see $WORK/drain-$channel.err"
        stop_gateway
      done
      ;;
    delivery-latency)
      for channel in webhook sms; do
        [ "$channel" = webhook ] && concurrency=$WEBHOOK_CONCURRENCY || concurrency=$SMS_CONCURRENCY
        start_gateway "$(channel_config "$channel" "$concurrency")"
        say "delivery-latency: $channel at $DELIVERY_RATE/s for $DELIVERY_DURATION"
        bench delivery --key "$KEY" --channel "$channel" --mode latency --provider-port "$PROVIDER_PORT" --rate "$DELIVERY_RATE" \
          --duration "$DELIVERY_DURATION" --warmup "$DELIVERY_LATENCY_WARMUP" 2> "$WORK/delivery-latency-$channel.err" | record \
          || say "delivery-latency ($channel) failed; see $WORK/delivery-latency-$channel.err"
        stop_gateway
      done
      ;;
    scan)
      # the scanner alone against PostgreSQL: no gateway (its own scanner would take the rows)
      psql -q -h "$PG_HOST" -U "$PG_USER" -c "drop schema if exists $SCHEMA cascade" > /dev/null 2>&1 || true
      psql -q -h "$PG_HOST" -U "$PG_USER" -c "checkpoint" > /dev/null 2>&1 || true
      sleep "${REST_SECONDS:-5}"
      say "scan: $SCAN_COUNT due deliveries, one retry-scanner pass"
      # shellcheck disable=SC2086
      java $BENCH_OPTS -jar "$WORK/herald.jar" bench scan --conf "$WORK/herald-bench.json" --count "$SCAN_COUNT" \
        2> "$WORK/scan.err" | record || say "scan failed; see $WORK/scan.err"
      ;;
    broadcast)
      start_gateway
      say "broadcast: $BROADCAST_SOCKETS sockets from $SOURCES, $BROADCAST_ROUNDS broadcasts to everyone"
      bench broadcast --key "$KEY" --secret "$SECRET" --sockets "$BROADCAST_SOCKETS" --sources "$SOURCES" --rounds "$BROADCAST_ROUNDS" \
        2> "$WORK/broadcast.err" | record || say "broadcast failed; see $WORK/broadcast.err"
      stop_gateway
      ;;
    *)
      say "unknown scenario '$scenario' (known: wrk-ingest wrk-ingest100 ingest ingest100 connections fanout e2e delivery-webhook delivery-sms delivery-email delivery-drain delivery-latency scan broadcast)"
      exit 2
      ;;
  esac
done

echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | record
say "done: results in $OUT (JSON lines: grep '^{\"bench\"' $OUT); logs in $WORK"
