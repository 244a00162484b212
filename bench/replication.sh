#!/usr/bin/env bash
# Replication cost: SET throughput of a kvd master with one replica attached
# (async, then sync mode) as a ratio of a kvd master with none, with Debian's
# redis-server (alone and with one replica) measured in the same run for
# reference; the replication lag under that load; and the time of a full sync.
#
# Each round runs every configuration once, rotating which goes first. During
# the runs against a master with a replica, master_repl_offset minus the
# replica's acknowledged offset is sampled every 100 ms; the p99 is reported
# in sequence numbers (writes) and as time (divided by the measured rate).
#
# Environment (all optional):
#   KVD          kvd binary                      (default ./build/kvd)
#   N            SETs per run                    (default 300000)
#   CLIENTS      connections                     (default 50)
#   PIPELINE     redis-benchmark -P              (default 1)
#   ROUNDS       rounds                          (default 3)
#   FULLSYNC_MB  data set for the full sync, MB  (default 2048; 0 = skip)
# Only the processes this script starts are stopped, and its temp dir removed.
set -euo pipefail

KVD=${KVD:-./build/kvd}
N=${N:-300000}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-1}
ROUNDS=${ROUNDS:-3}
FULLSYNC_MB=${FULLSYNC_MB:-2048}
HOST=127.0.0.1

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
for tool in redis-benchmark redis-cli redis-server awk python3; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install redis-server redis-tools gawk)"
done
[[ -x $KVD ]] || die "kvd binary '$KVD' not found (build it first, or set KVD=...)"

info_field() { redis-cli -h "$HOST" -p "$1" info replication | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'; }
wait_link_up() {
  local port=$1 i
  for ((i = 0; i < 36000; i++)); do
    [[ $(info_field "$port" master_link_status) == up ]] && return 0
    sleep 0.1
  done
  die "replica on port $port never came up"
}

# start_kvd NAME [ARGS...] -> sets PORT; the server's pid is recorded.
start_kvd() {
  local name=$1
  shift
  pick_port
  "$KVD" server --port "$PORT" --dir "$TMP/$name" --logfile "$TMP/$name.log" "$@" 2>>"$TMP/$name.log" &
  STARTED_PIDS+=("$!")
  wait_ready "$name" "$!" "$PORT" "$TMP/$name.log" || die "$name did not start"
}
start_redis() {
  local name=$1
  shift
  pick_port
  mkdir -p "$TMP/$name"
  (cd "$TMP/$name" && exec redis-server --port "$PORT" --bind "$HOST" --save '' --appendonly no --dir "$TMP/$name" \
    "$@") >"$TMP/$name.log" 2>&1 &
  STARTED_PIDS+=("$!")
  wait_ready "$name" "$!" "$PORT" "$TMP/$name.log" || die "$name did not start"
}

start_kvd kvd-alone; KVD_ALONE=$PORT
start_kvd kvd-master; KVD_MASTER=$PORT
start_kvd kvd-replica --replicaof "$HOST $KVD_MASTER"; KVD_REPLICA=$PORT
start_redis redis-alone; REDIS_ALONE=$PORT
start_redis redis-master; REDIS_MASTER=$PORT
start_redis redis-replica --replicaof "$HOST" "$REDIS_MASTER"; REDIS_REPLICA=$PORT
wait_link_up "$KVD_REPLICA"
wait_link_up "$REDIS_REPLICA"

# rps PORT -> requests per second of one SET run
rps() {
  redis-benchmark -h "$HOST" -p "$1" -c "$CLIENTS" -n "$N" -r 1000000 -P "$PIPELINE" -t set --csv 2>>"$TMP/benchmark.err" |
    tr -d '"\r' | awk -F, '$1 == "SET" { printf "%.0f\n", $2 }'
}

# Samples master offset - replica offset every 100 ms into FILE until STOP exists.
sample_lag() {
  local port=$1 file=$2 stop=$3
  while [[ ! -e $stop ]]; do
    redis-cli -h "$HOST" -p "$port" info replication | tr -d '\r' | awk -F'[:=,]' '
      $1 == "master_repl_offset" { m = $2 }
      $1 == "slave0" { for (i = 2; i < NF; i++) if ($i == "offset") r = $(i + 1) }
      END { if (m != "" && r != "") print m - r }' >>"$file" || true  # a missed sample is no failure
    sleep 0.1
  done
}

declare -A SUM COUNT
run_config() {
  local config=$1 port rate
  case $config in
    kvd-alone) port=$KVD_ALONE ;;
    kvd-async) port=$KVD_MASTER; redis-cli -p "$KVD_MASTER" config set replication-mode async >/dev/null ;;
    kvd-sync) port=$KVD_MASTER; redis-cli -p "$KVD_MASTER" config set replication-mode sync >/dev/null ;;
    redis-alone) port=$REDIS_ALONE ;;
    redis-replica) port=$REDIS_MASTER ;;
  esac
  local lagfile="$TMP/lag-$config" stop="$TMP/stop-$config"
  rm -f "$stop"
  if [[ $config == kvd-async || $config == kvd-sync ]]; then
    sample_lag "$port" "$lagfile" "$stop" &
    local sampler=$!
  fi
  rate=$(rps "$port")
  touch "$stop"
  [[ -n ${sampler:-} ]] && wait "$sampler"
  log "$config: $rate rps"
  echo "$rate" >>"$TMP/rps-$config"
}

CONFIGS=(kvd-alone kvd-async kvd-sync redis-alone redis-replica)
for ((round = 0; round < ROUNDS; round++)); do
  for ((i = 0; i < ${#CONFIGS[@]}; i++)); do
    run_config "${CONFIGS[$(((i + round) % ${#CONFIGS[@]}))]}"
  done
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
p99() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int(NR * 0.99 + 0.999)] }'; }

echo "## Replication cost — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores; kvd commit $(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo ?);" \
  "redis-benchmark -t set -c $CLIENTS -n $N -r 1000000 -P $PIPELINE; $ROUNDS rounds, order rotated each round; median rps."
echo "Every server runs on this machine, replicas included (they compete for its $(nproc) cores)."
echo
echo "| configuration | SET rps (median) | ratio to the same server alone | lag p99 (writes) | lag p99 (time) |"
echo "|---|---:|---:|---:|---:|"
alone_kvd=$(median "$TMP/rps-kvd-alone")
alone_redis=$(median "$TMP/rps-redis-alone")
for config in "${CONFIGS[@]}"; do
  rate=$(median "$TMP/rps-$config")
  base=$alone_kvd
  [[ $config == redis-* ]] && base=$alone_redis
  ratio=$(awk -v a="$rate" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
  lag="-" lag_time="-"
  if [[ -s $TMP/lag-$config ]]; then
    lag=$(p99 "$TMP/lag-$config")
    lag_time=$(awk -v l="$lag" -v r="$rate" 'BEGIN { printf "%.1f ms", 1000 * l / r }')
  fi
  echo "| $config | $rate | $ratio | $lag | $lag_time |"
done

if ((FULLSYNC_MB > 0)); then
  keys=$((FULLSYNC_MB * 1024))
  log "loading $keys x 1 KiB of random (incompressible) values into a fresh kvd master for the full sync"
  start_kvd fullsync-master; FS_MASTER=$PORT
  # redis-benchmark's values are one repeated byte, which compresses to nothing: generate random ones.
  python3 -c '
import base64, os, sys
out = sys.stdout.buffer
for i in range(int(sys.argv[1])):
    value = base64.b64encode(os.urandom(768))
    key = b"key:%d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
' "$keys" | redis-cli -h "$HOST" -p "$FS_MASTER" --pipe >/dev/null
  redis-cli -h "$HOST" -p "$FS_MASTER" save >/dev/null
  size_mb=$(du -sm --exclude=archive --exclude='*.log' "$TMP/fullsync-master/db" | awk '{ print $1 }')
  dd_out=$(dd if=/dev/zero of="$TMP/dd-test" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1)
  rm -f "$TMP/dd-test"
  start=$(date +%s.%N)
  start_kvd fullsync-replica --replicaof "$HOST $FS_MASTER"; FS_REPLICA=$PORT
  wait_link_up "$FS_REPLICA"
  end=$(date +%s.%N)
  echo
  echo "Full sync: $(redis-cli -h "$HOST" -p "$FS_MASTER" dbsize) keys x 1 KiB (SST files: $size_mb MB) reached a new replica in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s" \
    "(start-up and handshake included)."
  echo "Replica log: $(grep -o 'full sync done.*' "$TMP/fullsync-replica.log" | head -1)"
  echo "Disk reference (dd 1 GiB, conv=fdatasync): $dd_out"

  # Restarting that replica must not move the data set again: partial sync.
  replica_pid=${STARTED_PIDS[-1]}
  kill -TERM "$replica_pid"
  wait "$replica_pid" 2>/dev/null || true
  redis-benchmark -h "$HOST" -p "$FS_MASTER" -c 10 -n 1000 -r 1000000 -t set -q >/dev/null 2>&1
  start=$(date +%s.%N)
  "$KVD" server --port "$FS_REPLICA" --dir "$TMP/fullsync-replica" --logfile "$TMP/fullsync-replica.log" \
    --replicaof "$HOST $FS_MASTER" 2>>"$TMP/fullsync-replica.log" &
  STARTED_PIDS+=("$!")
  wait_ready fullsync-replica "$!" "$FS_REPLICA" "$TMP/fullsync-replica.log" || die "the full-sync replica did not start"
  wait_link_up "$FS_REPLICA"
  end=$(date +%s.%N)
  echo "Restart of that replica after 1000 more writes: link up in" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s;" \
    "full syncs in its log: $(grep -c 'full sync done' "$TMP/fullsync-replica.log")," \
    "partial syncs: $(grep -c 'partial sync from' "$TMP/fullsync-replica.log")."
fi
