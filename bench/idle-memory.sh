#!/usr/bin/env bash
# Memory per idle connection: N idle WebSocket connections over loopback against each echo server, a fresh server
# process per cell. For every cell it records
#   - the baseline after a warm-up (20 connections opened, one message each, closed) and a full GC: RSS and managed heap,
#   - with N connections open, each idle after one echoed message: RSS (as it stands) and the managed heap after a full
#     GC (GC.GetTotalMemory(true), asked on the server's standard input: --memory-report),
#   - after every connection closed (a close handshake each): RSS 10 s and 60 s later (no forced GC before), then the
#     managed heap and RSS after a forced full GC,
# and prints bytes per connection: (with N - baseline) / N.
#
#   bench/idle-memory.sh                                      # 1,000 and 10,000 connections, every server, 10 s and 60 s after close
#   CONNECTIONS=1000 SERVERS=wscore-sockets AFTER="10" bench/idle-memory.sh    # one quick cell
#
# Servers (SERVERS): wscore-sockets (WsCore on its own sockets: SocketWebSockets + SocketDuplexPipe),
# wscore-kestrel-connection (WsCore on Kestrel's connection pipes: a connection handler, PipeHandshake),
# wscore-kestrel (WsCore after ASP.NET Core's HTTP upgrade: IHttpUpgradeFeature stream + PipeReader/PipeWriter.Create),
# aspnetcore (Kestrel + ASP.NET Core WebSockets = ManagedWebSocket, its project's default GC: Server GC, which the
# runtime replaces with concurrent workstation GC when the process may use one CPU only, as when pinned here),
# aspnetcore-wks (the same with workstation non-concurrent GC, DOTNET_gcServer=0 DOTNET_gcConcurrent=0, as the WsCore
# echo server uses). The GC column says which GC the server reported. SERVER_CPU=none runs the server unpinned. Every server runs the echo program of the conformance runs (Autobahn/Hosts/WsCoreEcho with
# --no-compression; Autobahn/Hosts/ManagedWebSocketEcho), pinned to SERVER_CPU; the idle client (bench/WsCore.EchoLoad --idle) to
# CLIENT_CPU. SERVER_ENV adds environment variables to every server (e.g. SERVER_ENV="DOTNET_GCConserveMemory=5").
# MESSAGE_SIZE (default 20) is the message each connection exchanges before it goes idle (0: none).
# Raw lines go to stderr; the table to stdout.
set -uo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS=${CONNECTIONS:-"1000 10000"}
SERVERS=${SERVERS:-"wscore-sockets wscore-kestrel-connection wscore-kestrel aspnetcore aspnetcore-wks"}
AFTER=${AFTER:-"10 60"}
MESSAGE_SIZE=${MESSAGE_SIZE:-20}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
SERVER_ENV=${SERVER_ENV:-}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Two processes with up to 10,000 sockets each: raise the descriptor limit (root may raise the hard limit too).
ulimit -Hn 131072 2>/dev/null
ulimit -n 131072 2>/dev/null || ulimit -n "$(ulimit -Hn)"

if [ "${NO_BUILD:-0}" != 1 ]; then
  for p in bench/WsCore.EchoLoad Autobahn/Hosts/WsCoreEcho Autobahn/Hosts/ManagedWebSocketEcho; do
    dotnet build "$p" -c Release -v q -nologo >/tmp/idle-build.$$.log 2>&1 || { cat /tmp/idle-build.$$.log; exit 1; }
  done
  rm -f /tmp/idle-build.$$.log
fi
WSCORE=${WSCORE_DLL:-Autobahn/Hosts/WsCoreEcho/bin/Release/net10.0/WsCoreEcho.dll}
ASPNET=${ASPNET_DLL:-Autobahn/Hosts/ManagedWebSocketEcho/bin/Release/net10.0/ManagedWebSocketEcho.dll}
LOAD=${LOAD_DLL:-bench/WsCore.EchoLoad/bin/Release/net10.0/WsCore.EchoLoad.dll}

work=$(mktemp -d)
server_pid=""
client_pid=""
cleanup() {
  exec 3>&- 4>&- 2>/dev/null
  for p in $client_pid $server_pid; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in $client_pid $server_pid; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss() { awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$server_pid/status"; }

# wait_line FILE PATTERN COUNT SECONDS: until FILE has COUNT lines matching PATTERN.
wait_line() {
  local deadline=$((SECONDS + $4))
  while [ "$(grep -c "$2" "$1" 2>/dev/null)" -lt "$3" ]; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.1
  done
}

gc_count=0
# gc: asks the server for a full GC; sets MANAGED and GC_RSS from its answer.
gc() {
  gc_count=$((gc_count + 1))
  echo gc >&3
  wait_line "$work/server.out" '^memory ' "$gc_count" 120 || { echo "no answer to gc" >&2; return 1; }
  local line
  line=$(grep '^memory ' "$work/server.out" | sed -n "${gc_count}p")
  MANAGED=$(sed 's/.*managed=\([0-9]*\).*/\1/' <<<"$line")
  GC_RSS=$(sed 's/.* rss=\([0-9]*\).*/\1/' <<<"$line")
  GC_COMMITTED=$(sed 's/.* committed=\([0-9]*\).*/\1/' <<<"$line")
  GC_INFO=$(sed 's/.*\(servergc=.*\)/\1/' <<<"$line")
}

start_server() { # name port
  rm -f "$work/server.in" "$work/server.out"
  mkfifo "$work/server.in"
  local cmd
  case "$1" in
    wscore-sockets) cmd=(dotnet "$WSCORE" server --port "$2" --host sockets --no-compression --memory-report) ;;
    wscore-kestrel-connection) cmd=(dotnet "$WSCORE" server --port "$2" --host kestrel-connection --no-compression --memory-report) ;;
    wscore-kestrel) cmd=(dotnet "$WSCORE" server --port "$2" --host kestrel --no-compression --memory-report) ;;
    aspnetcore) cmd=(dotnet "$ASPNET" server --port "$2" --memory-report) ;;
    aspnetcore-wks) cmd=(env DOTNET_gcServer=0 DOTNET_gcConcurrent=0 dotnet "$ASPNET" server --port "$2" --memory-report) ;;
    *) echo "unknown server $1" >&2; return 2 ;;
  esac
  # shellcheck disable=SC2086
  local pin=(taskset -c "$SERVER_CPU")
  [ "$SERVER_CPU" = none ] && pin=()
  env $SERVER_ENV "${pin[@]}" "${cmd[@]}" <"$work/server.in" >"$work/server.out" 2>&1 &
  server_pid=$!
  exec 3>"$work/server.in"
  gc_count=0
  for _ in $(seq 100); do
    (exec 5<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server $1 did not start on port $2" >&2; return 1
}

stop_server() {
  exec 3>&-
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}

run=0
# idle N: opens N idle connections from fresh loopback source addresses; leaves them open (fd 4 = the client's stdin).
open_idle() {
  run=$((run + 1))
  local sources
  sources=$(python3 -c "print(','.join(f'127.{($run // 250) + 1}.{$run % 250 + 1}.{i}' for i in range(2, 6)))")
  rm -f "$work/client.in" "$work/client.out"
  mkfifo "$work/client.in"
  taskset -c "$CLIENT_CPU" dotnet "$LOAD" --idle --port "$2" --connections "$1" --message-size "$MESSAGE_SIZE" \
    --sources "$sources" <"$work/client.in" >"$work/client.out" 2>&1 &
  client_pid=$!
  exec 4>"$work/client.in"
  wait_line "$work/client.out" '^open ' 1 300 || { echo "client did not open its connections" >&2; cat "$work/client.out" >&2; return 1; }
  OPEN=$(grep '^open ' "$work/client.out")
}
close_idle() {
  echo close >&4
  exec 4>&-
  wait_line "$work/client.out" '^closed ' 1 300 || echo "client did not close its connections" >&2
  CLOSED=$(grep '^closed ' "$work/client.out")
  wait "$client_pid" 2>/dev/null
  client_pid=""
}

results="$work/results"
: >"$results"
echo "load $(uptime | sed 's/.*load average/load average/'); server on CPU $SERVER_CPU, idle client on CPU $CLIENT_CPU; message before idle: $MESSAGE_SIZE B; SERVER_ENV='$SERVER_ENV'" >&2
for server in $SERVERS; do
  for n in $CONNECTIONS; do
    port=$(free_port)
    start_server "$server" "$port" || continue
    # Warm-up: the first connections JIT the code paths and create the pools; not per-connection memory.
    open_idle 20 "$port" || { stop_server; continue; }
    close_idle
    sleep 2
    gc || { stop_server; continue; }
    base_managed=$MANAGED base_rss=$GC_RSS info=$GC_INFO

    open_idle "$n" "$port" || { close_idle; stop_server; continue; }
    sleep 2
    open_rss=$(rss)
    gc
    open_managed=$MANAGED open_rss_gc=$GC_RSS open_committed=$GC_COMMITTED
    close_idle
    after=""
    elapsed=0
    for t in $AFTER; do
      sleep $((t - elapsed)); elapsed=$t
      after="$after $(rss)"
    done
    gc
    closed_managed=$MANAGED closed_rss_gc=$GC_RSS closed_committed=$GC_COMMITTED
    stop_server
    echo "$server n=$n [$OPEN] [$CLOSED] base_rss=$base_rss base_managed=$base_managed open_rss=$open_rss open_rss_after_gc=$open_rss_gc open_managed=$open_managed after_close_rss=[${after# }] closed_managed=$closed_managed closed_rss_after_gc=$closed_rss_gc gc_committed_open=$open_committed gc_committed_closed=$closed_committed $info" >&2
    gc_kind=$(sed 's/servergc=True.*/Server/; s/servergc=False latency=Batch.*/workstation/; s/servergc=False latency=.*/workstation, concurrent/' <<<"$info")
    echo "$server|$gc_kind|$n $base_rss $base_managed $open_rss $open_managed $closed_managed $closed_rss_gc ${after# }" >>"$results"
  done
done

python3 - "$results" "$AFTER" <<'PY'
import sys
after = sys.argv[2].split()
names = {
    "wscore-sockets": "WsCore, own sockets (SocketWebSockets)",
    "wscore-kestrel-connection": "WsCore on Kestrel connection pipes",
    "wscore-kestrel": "WsCore via Kestrel HTTP upgrade",
    "aspnetcore": "Kestrel + ManagedWebSocket",
    "aspnetcore-wks": "Kestrel + ManagedWebSocket",
}
MiB = 1024 * 1024
cols = ["server", "GC", "connections", "baseline RSS", "RSS with N", "RSS / conn", "managed / conn"]
cols += [f"RSS {t} s after close" for t in after] + ["after close + full GC: RSS", "managed"]
print("| " + " | ".join(cols) + " |")
print("|---|" + "---:|" * (len(cols) - 1))
for line in open(sys.argv[1]):
    head, _, tail = line.rpartition("|")
    server, gc = head.split("|")
    f = tail.split()
    if len(f) < 7: continue
    n = int(f[0])
    base_rss, base_managed, open_rss, open_managed, closed_managed, closed_rss_gc = map(int, f[1:7])
    rest = [int(x) for x in f[7:]]
    row = [names.get(server, server), gc, f"{n:,}", f"{base_rss / MiB:.1f} MiB", f"{open_rss / MiB:.1f} MiB",
           f"{(open_rss - base_rss) / n:,.0f} B", f"{(open_managed - base_managed) / n:,.0f} B"]
    row += [f"{r / MiB:.1f} MiB" for r in rest]
    row += [f"{closed_rss_gc / MiB:.1f} MiB", f"{closed_managed / MiB:.2f} MiB"]
    print("| " + " | ".join(row) + " |")
PY
