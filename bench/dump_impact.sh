#!/usr/bin/env bash
# SET throughput of kvd while `kvd dump` copies a large dataset, against the
# same SET run without a dump (issue: online dump must not stall the service).
#
# Loads DATASET_KEYS values of VALUE_SIZE bytes (default 2,000,000 x 1 KiB,
# about 2 GB of values) into a fresh kvd, then alternates two redis-benchmark
# SET runs (-c 50, pipeline 1): one alone, one while `kvd dump` runs in a loop.
# Prints rps, p50/p99 and how long each dump took.
#
# Environment: KVD (./build/kvd), KVD_ARGS, DATASET_KEYS, VALUE_SIZE, N (SETs per run, 300000), ROUNDS (2)
set -euo pipefail

KVD=${KVD:-./build/kvd}
KVD_ARGS=${KVD_ARGS:-}
DATASET_KEYS=${DATASET_KEYS:-2000000}
VALUE_SIZE=${VALUE_SIZE:-1024}
N=${N:-300000}
ROUNDS=${ROUNDS:-2}
HOST=127.0.0.1

log() { echo "[dump-bench] $*" >&2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kvd-dump-bench.XXXXXX")
STARTED_PIDS=()
cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STARTED_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

PORT=$(free_port)
# shellcheck disable=SC2086
"$KVD" server --port "$PORT" --dir "$TMP/data" $KVD_ARGS >"$TMP/kvd.log" 2>&1 &
STARTED_PIDS+=($!)
for _ in $(seq 100); do redis-cli -h $HOST -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done

log "loading $DATASET_KEYS keys of $VALUE_SIZE bytes"
redis-benchmark -h $HOST -p "$PORT" -c 50 -n "$DATASET_KEYS" -r "$DATASET_KEYS" -d "$VALUE_SIZE" -P 16 -t set -q >/dev/null
KEYS=$(redis-cli -h $HOST -p "$PORT" DBSIZE)
DISK=$(du -sh "$TMP/data" | cut -f1)
log "loaded: $KEYS keys, $DISK on disk"

set_run() {  # prints "rps p50 p99"
  redis-benchmark -h $HOST -p "$PORT" -c 50 -n "$N" -r 1000000 -d "$VALUE_SIZE" -t set --csv |
    awk -F'"' '/^"SET"/ { print $4, $10, $14 }'
}

dump_loop() {  # dumps until told to stop; logs each dump's time
  local i=0
  while [ ! -e "$TMP/stop" ]; do
    local start end
    start=$(date +%s.%N)
    "$KVD" dump --addr "$HOST:$PORT" --out "$TMP/dump.kvd" >/dev/null 2>>"$TMP/dump.err" || { echo "dump failed" >>"$TMP/dumps"; break; }
    end=$(date +%s.%N)
    echo "$(awk -v a="$start" -v b="$end" "BEGIN { printf \"%.2f\", b - a }") s, $(du -h "$TMP/dump.kvd" | cut -f1)" >>"$TMP/dumps"
    rm -f "$TMP/dump.kvd"
    i=$((i + 1))
  done
}

echo "| run | SET rps | p50 ms | p99 ms |"
echo "|---|---:|---:|---:|"
for round in $(seq "$ROUNDS"); do
  read -r rps p50 p99 < <(set_run)
  echo "| without dump ($round) | $rps | $p50 | $p99 |"
  rm -f "$TMP/stop"
  dump_loop &
  DUMPER=$!
  read -r rps p50 p99 < <(set_run)
  touch "$TMP/stop"
  wait "$DUMPER" || true
  echo "| during kvd dump ($round) | $rps | $p50 | $p99 |"
done
echo
echo "Dataset: $KEYS keys of $VALUE_SIZE bytes, $DISK on disk. Dumps taken during the SET runs:"
sed 's/^/- /' "$TMP/dumps" 2>/dev/null || echo "- none finished"
