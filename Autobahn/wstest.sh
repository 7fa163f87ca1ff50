#!/usr/bin/env bash
# Runs the REAL Autobahn TestSuite (wstest) against WsCore, wherever the machine has it:
#   - fuzzingclient mode: wstest grades the WsCore echo server (Autobahn/fuzzingclient.json, ws://127.0.0.1:9001)
#   - fuzzingserver mode: wstest (Autobahn/fuzzingserver.json, port 9002) grades the WsCore echo client
# then judges each report with the conformance runner's `check` (every case OK; INFORMATIONAL only where the suite
# defines it). wstest comes from `wstest` on PATH (pip install autobahntestsuite, Python 2) or from the Docker image
# crossbario/autobahn-testsuite. Our CI has neither; it runs Autobahn/grade.sh (the in-repo runner) instead.
#
#   Autobahn/wstest.sh [server|client|both] [--host sockets|kestrel|kestrel-connection]
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-both}; shift || true
host_args=("$@")

if command -v wstest >/dev/null 2>&1; then
  wstest=(wstest)
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  wstest=(docker run --rm --network host -v "$PWD:/repo" -w /repo crossbario/autobahn-testsuite wstest)
else
  echo "Autobahn/wstest.sh needs wstest on PATH or a running Docker engine; neither is here."
  echo "Use Autobahn/grade.sh (the in-repo runner with the same cases and verdicts) instead."
  exit 2
fi

dotnet build -c Release Autobahn/Hosts/WsCoreEcho -v q -nologo >/dev/null || exit 2
dotnet build -c Release Autobahn/Runner -v q -nologo >/dev/null || exit 2
echo_cmd=(dotnet Autobahn/Hosts/WsCoreEcho/bin/Release/net10.0/WsCoreEcho.dll)
check=(dotnet Autobahn/Runner/bin/Release/net10.0/ConformanceRunner.dll check)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null; done; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; return 1; }

rc=0
if [ "$what" = server ] || [ "$what" = both ]; then
  mkdir -p reports
  setsid "${echo_cmd[@]}" server --port 9001 "${host_args[@]}" > reports/wscore-server.log 2>&1 & pids+=($!)
  wait_port 9001 || exit 2
  "${wstest[@]}" -m fuzzingclient -s Autobahn/fuzzingclient.json || rc=1
  "${check[@]}" reports/servers/index.json || rc=1
fi
if [ "$what" = client ] || [ "$what" = both ]; then
  setsid "${wstest[@]}" -m fuzzingserver -s Autobahn/fuzzingserver.json & pids+=($!)
  wait_port 9002 || exit 2
  timeout 1800 "${echo_cmd[@]}" client --url ws://127.0.0.1:9002 --agent WsCore || rc=1
  "${check[@]}" reports/clients/index.json || rc=1
fi
exit $rc
