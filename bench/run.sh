#!/usr/bin/env bash
# Side-by-side benchmark: Debian's redis-server (A) against kvd (B).
#
# Starts both servers on free loopback ports in a temporary directory, runs
# redis-benchmark against each for every test and pipeline depth (alternating
# which server goes first on each row), and prints a markdown table with
# requests per second, p50/p99 latency and the ratio kvd/redis. Then it loads
# 1,000,000 SETs of 64-byte values and prints the resident memory (VmRSS).
#
# Environment (all optional):
#   KVD         kvd binary                        (default ./build/kvd)
#   KVD_ARGS    extra flags for `kvd server`      (e.g. "--fsync always")
#   REDIS_SERVER redis-server binary              (default redis-server)
#   REDIS_ARGS  extra flags for redis-server
#   TESTS       redis-benchmark test names        (default: SET GET INCR MSET LPUSH RPOP SADD HSET ZADD LRANGE_100)
#   PIPELINES   pipeline depths                   (default "1 16")
#   N           requests per test                 (default 200000)
#   CLIENTS     parallel connections              (default 50)
#   KEYSPACE    random key range (-r)             (default 1000000)
#   RSS_N       SETs for the memory measurement   (default 1000000; 0 = skip)
#   RSS_SIZE    value size for it in bytes        (default 64)
#   SERVERS     which servers to run              (default "redis kvd")
#   BENCH_TIMEOUT  seconds one redis-benchmark run may take (default 900)
#
# Example: TESTS="SET GET LPUSH" N=100000 bench/run.sh
# Only the processes this script starts are stopped, and its temp dir removed.
set -euo pipefail

KVD=${KVD:-./build/kvd}
KVD_ARGS=${KVD_ARGS:-}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_ARGS=${REDIS_ARGS:-}
TESTS=${TESTS:-"SET GET INCR MSET LPUSH RPOP SADD HSET ZADD LRANGE_100"}
PIPELINES=${PIPELINES:-"1 16"}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-1000000}
RSS_N=${RSS_N:-1000000}
RSS_SIZE=${RSS_SIZE:-64}
SERVERS=${SERVERS:-"redis kvd"}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
ROUNDS=${ROUNDS:-1}
HOST=127.0.0.1

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

for tool in redis-benchmark redis-cli timeout awk; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install redis-tools coreutils gawk)"
done

want() { [[ " $SERVERS " == *" $1 "* ]]; }

REDIS_PORT="" REDIS_PID="" KVD_PORT="" KVD_PID=""

start_redis() {
  mkdir -p "$TMP/redis"
  for _ in 1 2 3; do
    pick_port
    REDIS_PORT=$PORT
    # shellcheck disable=SC2086
    (cd "$TMP/redis" && exec "$REDIS_SERVER" --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no \
      --daemonize no --dir "$TMP/redis" $REDIS_ARGS) >"$TMP/redis.log" 2>&1 &
    REDIS_PID=$!
    STARTED_PIDS+=("$REDIS_PID")
    if wait_ready redis-server "$REDIS_PID" "$REDIS_PORT" "$TMP/redis.log"; then return 0; fi
  done
  die "could not start redis-server"
}

start_kvd() {
  [[ -x $KVD ]] || die "kvd binary '$KVD' not found (build it first, or set KVD=...)"
  for _ in 1 2 3; do
    pick_port
    KVD_PORT=$PORT
    # shellcheck disable=SC2086
    "$KVD" server --port "$KVD_PORT" --dir "$TMP/kvd-data" $KVD_ARGS >"$TMP/kvd.log" 2>&1 &
    KVD_PID=$!
    STARTED_PIDS+=("$KVD_PID")
    if wait_ready kvd "$KVD_PID" "$KVD_PORT" "$TMP/kvd.log"; then return 0; fi
  done
  die "could not start kvd"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

# ---- run ---------------------------------------------------------------------
want redis && start_redis
want kvd && start_kvd

redis_version=$("$REDIS_SERVER" --version 2>/dev/null | awk '{print $3}' || true)
kvd_commit=$(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
kvd_rocksdb=""
if want kvd; then
  kvd_rocksdb=$(timeout 5 redis-cli -h "$HOST" -p "$KVD_PORT" info server 2>/dev/null | tr -d '\r' |
    awk -F: '$1 == "rocksdb_version" { v = $2 } $1 == "rocksdb_build" { b = $2 } END { if (v != "") print v " (" b ")" }')
fi
log "redis-server pid=${REDIS_PID:--} port=${REDIS_PORT:--}; kvd pid=${KVD_PID:--} port=${KVD_PORT:--}"

echo "## kvd vs redis-server — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores, $(awk '/^MemTotal:/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM;" \
  "redis-server ${redis_version#v=}; kvd commit $kvd_commit${KVD_ARGS:+ with $KVD_ARGS}${kvd_rocksdb:+, RocksDB $kvd_rocksdb}."
echo "redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE; redis-server run with --save '' --appendonly no;" \
  "each row runs both servers back to back, alternating which goes first;" \
  "$ROUNDS round(s) per row, medians shown."
echo
echo "| test | pipeline | redis rps | kvd rps | kvd/redis | redis p50/p99 ms | kvd p50/p99 ms | CPU µs/req redis/kvd |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"

row=0
for pipe in $PIPELINES; do
  for test in $TESTS; do
    R_RPS=() R_P50=() R_P99=() R_CPU=() K_RPS=() K_P50=() K_P99=() K_CPU=()
    for ((round = 0; round < ROUNDS; round++)); do
      if (((row + round) % 2 == 0)); then order="redis kvd"; else order="kvd redis"; fi
      for server in $order; do
        want "$server" || continue
        log "$test -P $pipe on $server (round $((round + 1))/$ROUNDS)"
        if [[ $server == redis ]]; then
          read -r rps p50 p99 cpu < <(run_bench "$REDIS_PORT" "$REDIS_PID" "$test" "$pipe")
          R_RPS+=("$rps") R_P50+=("$p50") R_P99+=("$p99") R_CPU+=("$cpu")
        else
          read -r rps p50 p99 cpu < <(run_bench "$KVD_PORT" "$KVD_PID" "$test" "$pipe")
          K_RPS+=("$rps") K_P50+=("$p50") K_P99+=("$p99") K_CPU+=("$cpu")
        fi
      done
    done
    r_rps=$(median "${R_RPS[@]:-}") r_p50=$(median "${R_P50[@]:-}") r_p99=$(median "${R_P99[@]:-}")
    k_rps=$(median "${K_RPS[@]:-}") k_p50=$(median "${K_P50[@]:-}") k_p99=$(median "${K_P99[@]:-}")
    r_cpu=$(median "${R_CPU[@]:-}") k_cpu=$(median "${K_CPU[@]:-}")
    ratio=$(awk -v a="$k_rps" -v b="$r_rps" 'BEGIN {
      if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }')
    echo "| $test | $pipe | $r_rps | $k_rps | $ratio | $r_p50/$r_p99 | $k_p50/$k_p99 | $r_cpu/$k_cpu |"
    row=$((row + 1))
  done
done

if ((RSS_N > 0)); then
  echo
  echo "Memory: VmRSS after redis-benchmark -t set -n $RSS_N -r $RSS_N -d $RSS_SIZE -P 16" \
    "(on top of the data written above):"
  echo
  for server in redis kvd; do
    want "$server" || continue
    if [[ $server == redis ]]; then port=$REDIS_PORT pid=$REDIS_PID; else port=$KVD_PORT pid=$KVD_PID; fi
    before=$(rss_kb "$pid")
    log "loading $RSS_N x $RSS_SIZE-byte values into $server"
    if ! timeout "$BENCH_TIMEOUT" redis-benchmark -h "$HOST" -p "$port" -c "$CLIENTS" -t set -n "$RSS_N" \
        -r "$RSS_N" -d "$RSS_SIZE" -P 16 -q >/dev/null 2>>"$TMP/benchmark.err"; then
      log "loading $server failed"
    fi
    after=$(rss_kb "$pid")
    keys=$(timeout 10 redis-cli -h "$HOST" -p "$port" dbsize 2>/dev/null || echo "?")
    awk -v s="$server" -v b="$before" -v a="$after" -v k="$keys" 'BEGIN {
      if (a ~ /^[0-9]+$/) printf "- %s: %.1f MB RSS (before loading: %.1f MB), %s keys\n", s, a / 1024, b / 1024, k
      else printf "- %s: RSS unavailable\n", s }'
  done
fi

if [[ -s $TMP/benchmark.err ]]; then
  log "redis-benchmark stderr (last lines):"
  tail -n 5 "$TMP/benchmark.err" >&2
fi
