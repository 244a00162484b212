#!/usr/bin/env bash
# Side-by-side benchmark of the sharding proxies: twemproxy (Debian's
# nutcracker, A) against `kvd proxy` (B), both in front of the same two
# redis-server backends, so the difference is the proxy alone.
#
# redis-benchmark runs against each proxy for every test and pipeline depth,
# alternating which goes first on each row; the table gives requests per
# second, p50/p99 latency, the ratio kvd/twemproxy, and each proxy's CPU time
# per request.
#
# Environment (all optional):
#   KVD          kvd binary                   (default ./build/kvd)
#   TESTS        redis-benchmark tests        (default: SET GET INCR MSET LPUSH)
#   PIPELINES    pipeline depths              (default "1 16")
#   N            requests per run             (default 200000)
#   CLIENTS      parallel connections         (default 50)
#   KEYSPACE     random key range (-r)        (default 1000000)
#   ROUNDS       runs per row; medians shown  (default 1)
#   BENCH_TIMEOUT seconds per redis-benchmark (default 900)
# Needs: redis-server, redis-benchmark, redis-cli (redis-server, redis-tools)
# and nutcracker (apt-get install nutcracker).
set -euo pipefail

KVD=${KVD:-./build/kvd}
TESTS=${TESTS:-"SET GET INCR MSET LPUSH"}
PIPELINES=${PIPELINES:-"1 16"}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-1000000}
ROUNDS=${ROUNDS:-1}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
HOST=127.0.0.1

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

for tool in redis-server redis-benchmark redis-cli nutcracker; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install redis-server redis-tools nutcracker)"
done
[[ -x $KVD ]] || die "kvd binary '$KVD' not found (build it first, or set KVD=...)"

# ---- two redis-server backends -----------------------------------------------
BACKENDS=()
for name in b1 b2; do
  mkdir -p "$TMP/$name"
  pick_port
  start_bg "$name" "$TMP/$name.log" redis-server --port "$PORT" --bind "$HOST" --save '' --appendonly no \
    --daemonize no --dir "$TMP/$name"
  wait_ready "redis-server $name" "$STARTED" "$PORT" "$TMP/$name.log" || die "backend $name did not start"
  BACKENDS+=("$PORT")
done

# ---- twemproxy: its own hashing over the same two servers --------------------
pick_port
TWEM_PORT=$PORT
cat >"$TMP/nutcracker.yml" <<YAML
pool:
  listen: $HOST:$TWEM_PORT
  hash: crc32a
  distribution: modula
  redis: true
  preconnect: true
  server_connections: 1
  servers:
   - $HOST:${BACKENDS[0]}:1 b1
   - $HOST:${BACKENDS[1]}:1 b2
YAML
pick_port
start_bg nutcracker "$TMP/nutcracker.out" nutcracker -c "$TMP/nutcracker.yml" -s "$PORT" -a "$HOST" \
  -o "$TMP/nutcracker.log" -p "$TMP/nutcracker.pid"
TWEM_PID=$STARTED
wait_ready nutcracker "$TWEM_PID" "$TWEM_PORT" "$TMP/nutcracker.log" || die "nutcracker did not start"

# ---- kvd proxy: half the slots each ------------------------------------------
pick_port
KVD_PORT=$PORT
cat >"$TMP/slots.json" <<JSON
{"format":1,"version":1,"applied_index":0,
 "groups":[{"name":"b1","master":"$HOST:${BACKENDS[0]}","replicas":[],"config_epoch":1},
           {"name":"b2","master":"$HOST:${BACKENDS[1]}","replicas":[],"config_epoch":1}],
 "slots":[{"first":0,"last":511,"group":"b1"},{"first":512,"last":1023,"group":"b2"}],
 "proxies":[]}
JSON
start_bg "kvd proxy" "$TMP/kvd-proxy.log" "$KVD" proxy --port "$KVD_PORT" --bind "$HOST" --slots "$TMP/slots.json"
KVD_PID=$STARTED
wait_ready "kvd proxy" "$KVD_PID" "$KVD_PORT" "$TMP/kvd-proxy.log" || die "kvd proxy did not start"
for ((i = 0; i < 300; i++)); do  # until it has read COMMAND from a backend
  [[ $(redis-cli -h "$HOST" -p "$KVD_PORT" set bench:ready 1 2>/dev/null) == OK ]] && break
  sleep 0.1
done

kvd_commit=$(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "## kvd proxy vs twemproxy — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores; $(nutcracker --version 2>&1 | head -1); kvd commit $kvd_commit; backends: two" \
  "redis-server $(redis-server --version | awk '{print $3}' | sed 's/^v=//') (--save '' --appendonly no)."
echo "redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE; each row runs both proxies back to back, alternating" \
  "which goes first; $ROUNDS round(s) per row, medians shown. CPU: the proxy process's own."
echo
echo "| test | pipeline | twemproxy rps | kvd proxy rps | kvd/twemproxy | twemproxy p50/p99 ms | kvd p50/p99 ms | CPU µs/req twemproxy/kvd |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"

row=0
for pipe in $PIPELINES; do
  for test in $TESTS; do
    declare -a t_rps=() t_p50=() t_p99=() t_cpu=() k_rps=() k_p50=() k_p99=() k_cpu=()
    for ((round = 0; round < ROUNDS; round++)); do
      order="twem kvd"
      (((row + round) % 2)) && order="kvd twem"
      for which in $order; do
        if [[ $which == twem ]]; then
          read -r rps p50 p99 cpu < <(run_bench "$TWEM_PORT" "$TWEM_PID" "$test" "$pipe")
          t_rps+=("$rps") t_p50+=("$p50") t_p99+=("$p99") t_cpu+=("$cpu")
        else
          read -r rps p50 p99 cpu < <(run_bench "$KVD_PORT" "$KVD_PID" "$test" "$pipe")
          k_rps+=("$rps") k_p50+=("$p50") k_p99+=("$p99") k_cpu+=("$cpu")
        fi
      done
    done
    row=$((row + 1))
    tr=$(median "${t_rps[@]}") kr=$(median "${k_rps[@]}")
    ratio=$(awk -v a="$tr" -v b="$kr" 'BEGIN { if (a > 0 && b ~ /^[0-9.]+$/) printf "%.2f", b / a; else print "-" }')
    echo "| $test | $pipe | $tr | $kr | $ratio | $(median "${t_p50[@]}")/$(median "${t_p99[@]}") |" \
      "$(median "${k_p50[@]}")/$(median "${k_p99[@]}") | $(median "${t_cpu[@]}")/$(median "${k_cpu[@]}") |"
  done
done
