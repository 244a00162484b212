#!/usr/bin/env bash
# The sentinels' Raft group on this machine: leader election time after a
# leader is killed (median and max over RUNS), and commits per second of
# small proposals (TOPOLOGY PROPOSE, answered once committed and applied) on
# a 3-node group, driven by redis-benchmark.
#
# Environment (all optional):
#   KVD      kvd binary                 (default ./build/kvd)
#   RUNS     leader kills               (default 20)
#   N        proposals                  (default 20000)
#   CLIENTS  redis-benchmark clients    (default 50)
# Default Raft timing: 100 ms ticks, election timeout 10-20 ticks.
# Only the processes this script starts are stopped, and its temp dir removed.
set -euo pipefail

KVD=${KVD:-./build/kvd}
RUNS=${RUNS:-20}
N=${N:-20000}
CLIENTS=${CLIENTS:-50}
HOST=127.0.0.1

log() { echo "[bench] $*" >&2; }
die() { log "error: $*"; exit 1; }
[[ -x $KVD ]] || die "kvd binary '$KVD' not found"
command -v redis-benchmark >/dev/null || die "redis-benchmark not found (apt-get install redis-tools)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kvd-sentinel-bench.XXXXXX")
declare -A PIDS
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_is_free() { ! (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
pick_port() {
  while true; do
    # Below the ephemeral range (32768+): a port that a client connection in
    # TIME-WAIT still holds cannot be bound by a server.
    PORT=$((20000 + RANDOM % 12000))
    port_is_free "$PORT" && [[ " ${USED:-} " != *" $PORT "* ]] && USED+=" $PORT" && return 0
  done
}
now_ms() { date +%s%3N; }
info() { redis-cli -h "$HOST" -p "$1" info 2>/dev/null | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'; }

pick_port; MASTER=$PORT
"$KVD" server --port "$MASTER" --dir "$TMP/master" --logfile "$TMP/master.log" &
PIDS[master]=$!
declare -A SPORT
PEERS=""
for i in 1 2 3; do
  pick_port
  SPORT[$i]=$PORT
  PEERS+="${PEERS:+,}$i=$HOST:$PORT"
done
start_sentinel() {
  "$KVD" sentinel --id "$1" --peers "$PEERS" --port "${SPORT[$1]}" --dir "$TMP/s$1" \
    --masters "m=$HOST:$MASTER" --logfile "$TMP/s$1.log" &
  PIDS[s$1]=$!
}
for i in 1 2 3; do start_sentinel "$i"; done

leader() {
  local i
  for i in 1 2 3; do
    [[ -n ${PIDS[s$i]:-} ]] || continue
    [[ $(info "${SPORT[$i]}" raft_role) == leader ]] && { echo "$i"; return 0; }
  done
  return 1
}
wait_leader() {
  local deadline=$(($(now_ms) + 30000))
  while (($(now_ms) < deadline)); do
    LEADER=$(leader) && return 0
    sleep 0.01
  done
  die "no leader within 30 s"
}

wait_leader
: >"$TMP/elections"
for ((run = 0; run < RUNS; run++)); do
  wait_leader
  old=$LEADER
  kill -KILL "${PIDS[s$old]}"
  wait "${PIDS[s$old]}" 2>/dev/null || true
  unset "PIDS[s$old]"
  start=$(now_ms)
  wait_leader
  echo $(($(now_ms) - start)) >>"$TMP/elections"
  log "run $run: sentinel $old killed, sentinel $LEADER elected after $(tail -1 "$TMP/elections") ms"
  start_sentinel "$old"
  # Let the restarted one rejoin before the next kill.
  for ((w = 0; w < 300; w++)); do
    [[ $(info "${SPORT[$old]}" raft_leader) == "$LEADER" ]] && break
    sleep 0.05
  done
done

wait_leader
json='{"op":"register_proxy","id":"bench","address":"127.0.0.1:1","now_ms":1}'
rps=$(redis-benchmark -h "$HOST" -p "${SPORT[$LEADER]}" -c "$CLIENTS" -n "$N" --csv TOPOLOGY PROPOSE "$json" 2>/dev/null |
  tr -d '"\r' | awk -F, 'NR > 1 && $(NF - 6) ~ /^[0-9.]+$/ { printf "%.0f", $(NF - 6); exit }')  # the name has commas

sorted=$(sort -n "$TMP/elections")
median=$(echo "$sorted" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
max=$(echo "$sorted" | tail -1)
echo "## Sentinel Raft group — $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "Machine: $(nproc) cores; kvd commit $(git -C "$(dirname "$0")/.." rev-parse --short HEAD 2>/dev/null || echo ?);" \
  "3 sentinels on loopback, default timing (100 ms tick, election timeout 1-2 s)."
echo
echo "- Leader election after kill -9 of the leader ($RUNS runs, time until a survivor reports raft_role:leader):" \
  "median $median ms, max $max ms."
echo "- Commits of small proposals (redis-benchmark -c $CLIENTS -n $N TOPOLOGY PROPOSE <register_proxy>, each" \
  "answered once committed on a majority — fdatasync on each — and applied): $rps per second."
