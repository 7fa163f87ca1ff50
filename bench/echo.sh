#!/usr/bin/env bash
# End-to-end loopback echo benchmark: the neutral load client (bench/WsCore.EchoLoad) against the WsCore echo server
# (Autobahn/Hosts/WsCoreEcho, --no-compression) and the Kestrel + ManagedWebSocket echo server (Autobahn/Hosts/ManagedWebSocketEcho).
# Server pinned to CPU 0, load client to CPU 1 (taskset). Loopback only; every step is bounded in time.
#
#   bench/echo.sh                                   # the full matrix: 100 and 500 connections x 20 B, 512 B, 16 KiB; 2 s warm-up, 10 s
#   CONNECTIONS="10" SIZES="512" WARMUP=0.5 DURATION=1 bench/echo.sh   # a quick check
set -uo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS=${CONNECTIONS:-"100 500"}
SIZES=${SIZES:-"20 512 16384"}
WARMUP=${WARMUP:-2}
DURATION=${DURATION:-10}
SERVERS=${SERVERS:-"wscore aspnetcore"}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

for p in bench/WsCore.EchoLoad Autobahn/Hosts/WsCoreEcho Autobahn/Hosts/ManagedWebSocketEcho; do
  dotnet build "$p" -c Release -v q -nologo >/tmp/echo-build.$$.log 2>&1 || { cat /tmp/echo-build.$$.log; exit 1; }
done
rm -f /tmp/echo-build.$$.log
LOAD=bench/WsCore.EchoLoad/bin/Release/net10.0/WsCore.EchoLoad.dll

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}
trap stop_server EXIT

start_server() { # name port
  case "$1" in
    wscore) taskset -c "$SERVER_CPU" dotnet Autobahn/Hosts/WsCoreEcho/bin/Release/net10.0/WsCoreEcho.dll server --port "$2" --no-compression >/dev/null 2>&1 & ;;
    aspnetcore) taskset -c "$SERVER_CPU" dotnet Autobahn/Hosts/ManagedWebSocketEcho/bin/Release/net10.0/ManagedWebSocketEcho.dll server --port "$2" >/dev/null 2>&1 & ;;
    *) echo "unknown server $1"; exit 2 ;;
  esac
  server_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server $1 did not start on port $2"; return 1
}

echo "load $(uptime | sed 's/.*load average/load average/') ; server on CPU $SERVER_CPU, load client on CPU $CLIENT_CPU; warm-up ${WARMUP}s, measured ${DURATION}s"
results=$(mktemp)
status=0
for server in $SERVERS; do
  for c in $CONNECTIONS; do
    for s in $SIZES; do
      # A fresh server per cell, so one cell's connections do not linger into the next.
      port=$(free_port)
      start_server "$server" "$port" || { status=1; continue; }
      limit=$(python3 -c "print(int($WARMUP + $DURATION + 60))")
      if ! timeout "$limit" taskset -c "$CLIENT_CPU" dotnet "$LOAD" --port "$port" --connections "$c" --size "$s" \
          --warmup "$WARMUP" --duration "$DURATION" --label "$server" >>"$results"; then
        echo "load run failed: $server $c connections $s B"; status=1
      fi
      stop_server
    done
  done
done

# Table: one row per (connections, size), one column per server, and the WsCore / ASP.NET Core ratio.
python3 - "$results" <<'PY'
import sys
rows = [l.split("\t") for l in open(sys.argv[1]) if l.strip()]
data = {}
for label, c, s, rate, mib, err in rows:
    data[(int(c), int(s), label)] = (float(rate), float(mib), int(err))
keys = sorted({(c, s) for c, s, _ in data})
print("| connections | payload | WsCore msg/s | Kestrel+ManagedWebSocket msg/s | WsCore / Kestrel | errors |")
print("|---:|---:|---:|---:|---:|---:|")
for c, s in keys:
    w = data.get((c, s, "wscore")); a = data.get((c, s, "aspnetcore"))
    ratio = f"{w[0] / a[0]:.2f}" if w and a and a[0] > 0 else "-"
    errs = (w[2] if w else 0) + (a[2] if a else 0)
    print(f"| {c} | {s} B | {w[0]:,.0f} |" if w else f"| {c} | {s} B | - |", end="")
    print(f" {a[0]:,.0f} | {ratio} | {errs} |" if a else f" - | {ratio} | {errs} |")
PY
rm -f "$results"
exit $status
