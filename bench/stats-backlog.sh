#!/usr/bin/env bash
# Times the statements behind GET /v1/stats, the queue gauges and the health monitor's backlog rule
# on a provider outage's backlog (bench/stats-backlog.sql: 500,000 deliveries waiting), with
# EXPLAIN ANALYZE, five runs each, and prints each statement's median execution time. It works in a
# schema of its own, built with psql from db/migrations.txt.
#
#   bench/stats-backlog.sh                 # seed at V012, time the statements as they were before V013,
#                                          # apply V013 (timed), time the current ones, drop the schema
#   STEPS="seed before" bench/stats-backlog.sh      # any of: seed before migrate after drop
#   PLANS=/tmp/plans.txt bench/stats-backlog.sh     # also keep one full plan of each statement
#
# The statements are copies of those in StatsStore and AlertStore (keep them in step), with $1 now
# and, for the per-channel ones, $2 the channels. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMA=${SCHEMA:-bench_stats}
STEPS=${STEPS:-"seed before migrate after drop"}
PLANS=${PLANS:-/dev/null}
RUNS=${RUNS:-5}
# auto: the first five runs get custom plans; force_generic_plan shows what a long-lived prepared statement may use
PLAN_CACHE=${PLAN_CACHE:-auto}
export PGHOST=${PG_HOST:-127.0.0.1} PGUSER=${PG_USER:-postgres} PGDATABASE=${PG_DATABASE:-postgres}
MIGRATIONS=src/main/resources/db

say() { echo "[stats-backlog $(date +%H:%M:%S)] $*" >&2; }
in_schema() { PGOPTIONS="-c search_path=$SCHEMA" psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# the migrations listed in db/migrations.txt, those up to V012 (first) or after it (rest)
migrations() {
  grep -v '^#' "$MIGRATIONS/migrations.txt" | grep -v '^$' | while read -r f; do
    case "$1:$f" in
      first:V00*|first:V010*|first:V011*|first:V012*) echo "$f" ;;
      rest:V00*|rest:V010*|rest:V011*|rest:V012*) ;;
      rest:*) echo "$f" ;;
    esac
  done
}

seed() {
  say "schema $SCHEMA at V012"
  psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" -c "CREATE SCHEMA $SCHEMA"
  for f in $(migrations first); do in_schema -f "$MIGRATIONS/$f"; done
  say "seeding (a minute or two)"
  in_schema -f bench/stats-backlog.sql
  in_schema -At -c "SELECT 'waiting (pending, failed): ' || count(*) FROM deliveries WHERE status IN ('pending', 'failed')"
}

migrate() {
  for f in $(migrations rest); do
    local start end
    start=$(date +%s%N)
    in_schema -f "$MIGRATIONS/$f"
    end=$(date +%s%N)
    say "$f applied in $(( (end - start) / 1000000 )) ms"
  done
  in_schema -q -c "VACUUM (ANALYZE) deliveries"
}

# time NAME TYPES SQL ARGS: prepares SQL, runs EXPLAIN ANALYZE of it RUNS times, prints the median
time_statement() {
  local name=$1 types=$2 sql=$3 args=$4 script times out
  [ -n "$types" ] && types="($types)" && args="($args)"
  script="PREPARE s$types AS $sql;"
  for _ in $(seq "$RUNS"); do
    script+=$'\n'"EXPLAIN (ANALYZE, BUFFERS) EXECUTE s$args;"
  done
  out=$(in_schema -At -c "SET plan_cache_mode = $PLAN_CACHE" -f - <<< "$script")
  { echo "== $name"; echo "$out" | awk '/^Planning Time/ && ++n == 1 {exit} {print}'; echo; } >> "$PLANS"
  times=$(echo "$out" | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p' | sort -n)
  printf '%-22s median %9.1f ms   (runs: %s)\n' "$name" "$(echo "$times" | sed -n "$(( (RUNS + 1) / 2 ))p")" "$(echo $times)"
}

NOW="now()"
CHANNELS="ARRAY['email', 'sms', 'whatsapp', 'webhook']"

before() {
  local waiting="SELECT d.id, d.channel, d.status, CASE WHEN d.attempts = 0 THEN greatest(d.created_at, n.send_at) ELSE d.next_attempt_at END AS since FROM deliveries d LEFT JOIN notifications n ON n.id = d.notification_id WHERE d.status IN ('pending', 'failed') AND (d.expires_at IS NULL OR d.expires_at > \$1::timestamptz)"
  say "the statements before V013"
  time_statement oldest timestamptz "SELECT id, channel, status, since FROM ($waiting) w WHERE since <= \$1::timestamptz ORDER BY since, id LIMIT 1" "$NOW"
  time_statement oldest_by_channel timestamptz "SELECT channel, extract(epoch FROM \$1::timestamptz - min(since))::float8 AS age FROM ($waiting) w WHERE since <= \$1::timestamptz GROUP BY channel" "$NOW"
  time_statement alert_waiting "timestamptz, timestamptz" "SELECT channel, count(*) AS due, count(*) FILTER (WHERE since <= \$2) AS overdue, min(since) AS oldest FROM ($waiting) w WHERE since <= \$1 GROUP BY channel" "$NOW, $NOW - interval '1 hour'"
  time_statement attempts timestamptz "SELECT d.channel, a.outcome, count(*) AS day, count(*) FILTER (WHERE a.started_at > \$1::timestamptz - interval '1 hour') AS hour FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.started_at > \$1::timestamptz - interval '24 hours' GROUP BY d.channel, a.outcome" "$NOW"
  common
}

after() {
  local not_expired="(expires_at IS NULL OR expires_at > \$1::timestamptz)"
  local due="SELECT id, channel, status, due_since AS since FROM deliveries WHERE status IN ('pending', 'failed') AND $not_expired"
  local abandoned="SELECT id, channel, status, lease_until AS since FROM deliveries WHERE status = 'sending' AND lease_until <= \$1::timestamptz AND $not_expired"
  local waiting="$due UNION ALL $abandoned"
  local first="SELECT w.* FROM unnest(\$2::text[]) AS c(channel) CROSS JOIN LATERAL (($due AND channel = c.channel AND due_since <= \$1::timestamptz ORDER BY due_since, id LIMIT 1) UNION ALL ($abandoned AND channel = c.channel ORDER BY lease_until, id LIMIT 1) ORDER BY since, id LIMIT 1) w"
  say "the current statements"
  time_statement oldest "timestamptz, text[]" "SELECT id, channel, status, since FROM ($first) f ORDER BY since, id LIMIT 1" "$NOW, $CHANNELS"
  time_statement oldest_by_channel "timestamptz, text[]" "SELECT channel, extract(epoch FROM \$1::timestamptz - since)::float8 AS age FROM ($first) f" "$NOW, $CHANNELS"
  time_statement alert_waiting "timestamptz, timestamptz" "SELECT channel, count(*) AS due, count(*) FILTER (WHERE since <= \$2) AS overdue, min(since) AS oldest FROM ($waiting) w WHERE since <= \$1 GROUP BY channel" "$NOW, $NOW - interval '1 hour'"
  time_statement attempts timestamptz "$(attempts_now)" "$NOW"
  common
}

attempts_now() {
  local ended="a.attempt = d.attempts AND (d.status = 'sent' AND a.outcome = 'sent' OR d.status = 'dead' AND a.outcome IN ('dead', 'lease_expired'))"
  echo "SELECT d.channel, a.outcome, count(*) AS day, count(*) FILTER (WHERE a.started_at > \$1::timestamptz - interval '1 hour') AS hour, count(*) FILTER (WHERE $ended) AS ended_day, count(*) FILTER (WHERE $ended AND a.started_at > \$1::timestamptz - interval '1 hour') AS ended_hour FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.started_at > \$1::timestamptz - interval '24 hours' GROUP BY d.channel, a.outcome"
}

# statements V013 left as they were
common() {
  time_statement queue "" "SELECT channel, status, priority, count(*) AS n FROM deliveries WHERE status IN ('pending', 'sending', 'failed', 'held') GROUP BY channel, status, priority" ""
  time_statement depth "" "SELECT channel, status, count(*) AS n FROM deliveries WHERE status IN ('pending', 'sending', 'failed', 'held', 'dead') GROUP BY channel, status" ""
}

drop() {
  psql -X -q -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE"
  say "schema $SCHEMA dropped"
}

for step in $STEPS; do
  "$step"
done
