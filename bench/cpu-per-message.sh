#!/usr/bin/env bash
# Server cost per echoed message: the load client (bench/WsCore.EchoLoad --markers) against one echo server per cell,
# the server measured over exactly the client's window (the client itself reads the server's CPU time and switches
# perf's counting on and off at the edges of its window):
#   - CPU time (utime + stime of every thread, /proc/PID/stat) per message,
#   - system calls and context switches per message (the server runs under perf stat, counting only during the
#     window: raw_syscalls:sys_enter, context-switches, and a few system calls one by one on stderr),
#   - messages per second (the client's count).
# Counts (system calls, context switches) hardly depend on what else runs on the machine; CPU time does a little.
# Server on SERVER_CPU (default 0), client on CLIENT_CPU (default 1). A fresh server per cell; ROUNDS alternates the
# servers (A B A B ...) so that a change in the machine's load hits all of them alike.
#
#   bench/cpu-per-message.sh
#   SERVERS="wscore-sockets@/tmp/before/WsCoreEcho.dll wscore-sockets" ROUNDS=3 bench/cpu-per-message.sh   # A/B two builds
#
# Servers: wscore-sockets (SocketWebSockets + SocketDuplexPipe), wscore-kestrel-connection (Kestrel's socket transport,
# a connection handler), wscore-kestrel (Kestrel HTTP upgrade), aspnetcore (Kestrel + ManagedWebSocket). NAME@DLL runs
# NAME from another build of WsCoreEcho; NAME+VAR=VALUE[+VAR=VALUE] sets environment variables for that server
# (e.g. wscore-sockets+DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1); SERVER_ENV sets them for every server. Environment: CONNECTIONS ("100"), SIZES ("20 16384"), WARMUP (2),
# DURATION (8), ROUNDS (1), NO_BUILD=1 to skip the build. Raw lines go to stderr; the table to stdout.
set -uo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS=${CONNECTIONS:-"100"}
SIZES=${SIZES:-"20 16384"}
WARMUP=${WARMUP:-2}
DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-1}
SERVERS=${SERVERS:-"wscore-sockets wscore-kestrel-connection aspnetcore"}
SERVER_CPU=${SERVER_CPU:-0}
SERVER_ENV=${SERVER_ENV:-}
CLIENT_CPU=${CLIENT_CPU:-1}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
ulimit -n 65536 2>/dev/null

if [ "${NO_BUILD:-0}" != 1 ]; then
  for p in bench/WsCore.EchoLoad Autobahn/Hosts/WsCoreEcho Autobahn/Hosts/ManagedWebSocketEcho; do
    dotnet build "$p" -c Release -v q -nologo >/tmp/cpm-build.$$.log 2>&1 || { cat /tmp/cpm-build.$$.log; exit 1; }
  done
  rm -f /tmp/cpm-build.$$.log
fi
WSCORE=Autobahn/Hosts/WsCoreEcho/bin/Release/net10.0/WsCoreEcho.dll
ASPNET=Autobahn/Hosts/ManagedWebSocketEcho/bin/Release/net10.0/ManagedWebSocketEcho.dll
LOAD=bench/WsCore.EchoLoad/bin/Release/net10.0/WsCore.EchoLoad.dll
TICK=$(getconf CLK_TCK)

work=$(mktemp -d)
server_pid=""
perf_pid=""
EVENTS=raw_syscalls:sys_enter,context-switches
for e in recvfrom sendto sendmsg epoll_wait ioctl futex sched_yield; do EVENTS="$EVENTS,syscalls:sys_enter_$e"; done
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  [ -n "$perf_pid" ] && kill "$perf_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_server() { # spec port
  local name=${1%%@*} dll=$WSCORE envs=()
  [[ "$1" == *@* ]] && dll=${1#*@}
  if [[ "$name" == *+* ]]; then
    IFS=+ read -r -a envs <<<"${name#*+}"
    name=${name%%+*}
  fi
  local cmd
  case "$name" in
    wscore-sockets) cmd=(dotnet "$dll" server --port "$2" --host sockets --no-compression) ;;
    wscore-kestrel-connection) cmd=(dotnet "$dll" server --port "$2" --host kestrel-connection --no-compression) ;;
    wscore-kestrel) cmd=(dotnet "$dll" server --port "$2" --host kestrel --no-compression) ;;
    aspnetcore) cmd=(dotnet "$ASPNET" server --port "$2") ;;
    *) echo "unknown server $name" >&2; return 2 ;;
  esac
  # Under perf stat, counting from "enable" to "disable" on its control fifo (sent by the load client at the edges of
  # its window); counted with inheritance, so threads the server starts later are counted too. This script holds both
  # fifos open (perf needs a writer and a reader) but never uses them.
  rm -f "$work/ctl" "$work/ack" "$work/perf.out"
  mkfifo "$work/ctl" "$work/ack"
  env "${envs[@]}" $SERVER_ENV perf stat -x, -e "$EVENTS" -D -1 --control "fifo:$work/ctl,$work/ack" -o "$work/perf.out" \
    -- taskset -c "$SERVER_CPU" "${cmd[@]}" >/dev/null 2>&1 &
  perf_pid=$!
  exec 6>"$work/ctl" 7<"$work/ack"
  server_pid=""
  for _ in $(seq 100); do
    server_pid=$(pgrep -P "$perf_pid" | head -1)
    [ -n "$server_pid" ] && break
    sleep 0.05
  done
  for _ in $(seq 100); do
    (exec 5<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server $1 did not start" >&2; return 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$server_pid" 2>/dev/null
  wait "$perf_pid" 2>/dev/null
  exec 6>&- 7<&-
  server_pid=""
  perf_pid=""
}


wait_for() { # file pattern seconds
  local deadline=$((SECONDS + $3))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.02
  done
}

results="$work/results"
: >"$results"
echo "load $(uptime | sed 's/.*load average/load average/'); server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU; warm-up ${WARMUP}s, measured ${DURATION}s, $ROUNDS round(s)" >&2
for round in $(seq "$ROUNDS"); do
  for c in $CONNECTIONS; do
    for s in $SIZES; do
      for server in $SERVERS; do
        port=$(free_port)
        start_server "$server" "$port" || continue
        taskset -c "$CLIENT_CPU" dotnet "$LOAD" --port "$port" --connections "$c" --size "$s" --warmup "$WARMUP" \
          --duration "$DURATION" --label x --markers --server-pid "$server_pid" --perf-control "$work/ctl,$work/ack" \
          >"$work/client.out" 2>"$work/client.err" &
        client_pid=$!
        if ! wait_for "$work/client.err" "window start" 120; then
          echo "no window: $server $c $s" >&2; cat "$work/client.err" >&2; kill "$client_pid" 2>/dev/null; stop_server; continue
        fi
        # The client itself enables perf and reads the server's CPU time at the window's edges.
        wait_for "$work/client.err" "window end" $((DURATION * 3 + 30))
        threads=$(ls "/proc/$server_pid/task" | wc -l)
        wait "$client_pid"
        stop_server
        n=$(sed -n 's/^window end \([0-9]*\).*/\1/p' "$work/client.err")
        ticks=$(sed -n 's/^window end .*server_ticks=\([0-9]*\).*/\1/p' "$work/client.err")
        rate=$(cut -f4 "$work/client.out")
        errors=$(cut -f6 "$work/client.out")
        count() { awk -F, -v e="$1" '$3 == e { print $1 }' "$work/perf.out"; }
        sys=$(count raw_syscalls:sys_enter) cs=$(count context-switches)
        detail=""
        for e in recvfrom sendto sendmsg epoll_wait ioctl futex sched_yield; do
          detail="$detail $e=$(count "syscalls:sys_enter_$e")"
        done
        echo "$server c=$c s=$s round=$round messages=$n rate=$rate cpu_ticks=$ticks syscalls=$sys context_switches=$cs threads=$threads errors=$errors$detail" >&2
        echo "$server $c $s $n $rate $ticks $sys $cs $errors" >>"$results"
      done
    done
  done
done

python3 - "$results" "$TICK" <<'PY'
import sys, statistics
tick = int(sys.argv[2])
cells = {}
for line in open(sys.argv[1]):
    server, c, s, n, rate, ticks, sys_, cs, err = line.split()
    n = int(n)
    if n == 0: continue
    cells.setdefault((int(c), int(s), server), []).append(
        (int(ticks) * 1e6 / tick / n, int(sys_) / n, int(cs) / n, float(rate), int(err)))
print("| connections | payload | server | CPU µs / message | system calls / message | context switches / message | msg/s | runs |")
print("|---:|---:|---|---:|---:|---:|---:|---:|")
for (c, s, server), runs in sorted(cells.items()):
    med = lambda i: statistics.median(r[i] for r in runs)
    cpu = ", ".join(f"{r[0]:.2f}" for r in runs)
    print(f"| {c:,} | {s:,} B | {server} | {med(0):.2f} ({cpu}) | {med(1):.2f} | {med(2):.2f} | {med(3):,.0f} | {len(runs)} |")
PY
