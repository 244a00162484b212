# Shared by the bench scripts that source it: process bookkeeping (only what
# the script starts, stopped by pid), free loopback ports, readiness polls,
# and one redis-benchmark run with the server's CPU time per request.
# The sourcing script sets HOST, CLIENTS, N, KEYSPACE and BENCH_TIMEOUT.

log() { echo "[bench] $*" >&2; }
die() { log "error: $*"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kvd-bench.XXXXXX")
STARTED_PIDS=()

cleanup() {
  local status=$? pid i
  for pid in "${STARTED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STARTED_PIDS[@]}"; do
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
  done
  if ((status != 0)); then
    # A failed run keeps the servers' logs for inspection (the data dirs go).
    find "$TMP" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
    log "failed; server logs kept in $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_is_free() { ! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# pick_port: sets PORT to a free loopback port below the ephemeral range, not handed out before.
USED_PORTS=""
pick_port() {
  local tries
  for ((tries = 0; tries < 200; tries++)); do
    PORT=$((20000 + RANDOM % 12000))
    if [[ " $USED_PORTS " != *" $PORT "* ]] && port_is_free "$PORT"; then
      USED_PORTS+=" $PORT"
      return 0
    fi
  done
  die "no free port found"
}

# wait_ready NAME PID PORT LOGFILE [REPLY]: polls PING until REPLY (PONG) while PID is alive.
wait_ready() {
  local name=$1 pid=$2 port=$3 logfile=$4 want=${5:-PONG} i
  for ((i = 0; i < 300; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during start-up; its log:"
      tail -n 20 "$logfile" >&2 || true
      return 1
    fi
    [[ $(timeout 2 redis-cli -h "$HOST" -p "$port" ping 2>/dev/null) == "$want" ]] && return 0
    sleep 0.1
  done
  log "$name did not answer PING on port $port within 30 s"
  return 1
}

# start_bg NAME LOGFILE COMMAND...: starts a process, records its pid in STARTED.
start_bg() {
  local name=$1 logfile=$2
  shift 2
  "$@" >"$logfile" 2>&1 &
  STARTED=$!
  STARTED_PIDS+=("$STARTED")
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo "?"; }

# run_bench PORT PID TEST PIPELINE -> "rps p50 p99 cpu" ("- - - -" on failure);
# cpu: the process PID's CPU time per request in microseconds.
run_bench() {
  local port=$1 pid=$2 test=$3 pipe=$4 out before after cpu
  before=$(cpu_ticks "$pid")
  if ! out=$(timeout "$BENCH_TIMEOUT" redis-benchmark -h "$HOST" -p "$port" -c "$CLIENTS" -n "$N" \
        -r "$KEYSPACE" -P "$pipe" -t "$test" --csv 2>>"$TMP/benchmark.err"); then
    log "redis-benchmark -t $test -P $pipe against port $port failed"
    echo "- - - -"
    return 0
  fi
  after=$(cpu_ticks "$pid")
  cpu=$(awk -v a="$before" -v b="$after" -v n="$N" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    if (a ~ /^[0-9]+$/ && b ~ /^[0-9]+$/) printf "%.2f", (b - a) * 1e6 / hz / n; else print "-" }')
  echo "$out" | tr -d '"\r' | awk -F, -v cpu="$cpu" '
    $1 == "test" { next }
    NF >= 7 && $2 ~ /^[0-9.]+$/ { printf "%.0f %s %s %s\n", $2, $5, $7, cpu; found = 1; exit }
    END { if (!found) print "- - - -" }'
}

# median VALUES... -> the median of the numeric ones ("-" when none)
median() {
  printf '%s\n' "$@" | awk '$1 ~ /^[0-9.]+$/ { v[n++] = $1 } END {
    if (n == 0) { print "-"; exit }
    for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    # %.15g: the default print format (OFMT) would turn 1048320 into 1.04832e+06
    printf "%.15g\n", (n % 2) ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2 }'
}
