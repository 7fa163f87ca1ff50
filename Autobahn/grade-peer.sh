#!/usr/bin/env bash
# Runs the in-repo Autobahn conformance runner end to end and judges the report.
#
#   Autobahn/grade-peer.sh client -- CMD...   start CMD (a server under test listening on ws://127.0.0.1:9001),
#                                                  run fuzzingclient with Autobahn/fuzzingclient.json, check the index
#   Autobahn/grade-peer.sh server -- CMD...   start fuzzingserver with Autobahn/fuzzingserver.json (port 9002),
#                                                  run CMD (a client under test), check the index
#
# CONFORMANCE_PORT (default 9001 for client mode, 9002 for server mode) moves the port; the command under test must
# be told the same port. The run refuses to start if something already listens there (it would grade the wrong peer).
# Extra runner flags can go in RUNNER_ARGS (e.g. RUNNER_ARGS='--agent X --exclude-cases 9.*').
# Exit code: 0 only if every case is OK (INFORMATIONAL where the suite defines it). The process started here is
# stopped by its process group id when the run ends.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}; shift || true
[ "${1:-}" = "--" ] && shift
[ "$mode" = client ] || [ "$mode" = server ] || { sed -n '2,12p' "$0"; exit 2; }
[ $# -gt 0 ] || { echo "missing the command to test"; exit 2; }

dotnet build -c Release Autobahn/Runner -v q -nologo >/dev/null || { echo "runner build failed"; exit 2; }
runner=(dotnet Autobahn/Runner/bin/Release/net10.0/ConformanceRunner.dll)
pgid=""
cleanup() { [ -n "$pgid" ] && kill -- "-$pgid" 2>/dev/null; }
trap cleanup EXIT

wait_port() { # port seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on port $1 after $2 s"; return 1
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start=$(date +%s)
if [ "$mode" = client ]; then
  port=${CONFORMANCE_PORT:-9001}
  if port_busy "$port"; then echo "port $port is already in use: refusing to grade whatever listens there"; exit 2; fi
  mkdir -p reports; setsid "$@" >reports/server-under-test.log 2>&1 & pgid=$!
  wait_port "$port" 120 || exit 2
  url_args=()
  [ -n "${CONFORMANCE_PORT:-}" ] && url_args=(--url "ws://127.0.0.1:$port" --agent "${CONFORMANCE_AGENT:-WsCore}")
  "${runner[@]}" fuzzingclient --spec Autobahn/fuzzingclient.json "${url_args[@]}" ${RUNNER_ARGS:-}
  index=$(python3 -c 'import json;print(json.load(open("Autobahn/fuzzingclient.json"))["outdir"])' 2>/dev/null || echo ./reports/servers)/index.json
else
  port=${CONFORMANCE_PORT:-9002}
  if port_busy "$port"; then echo "port $port is already in use: refusing to start the fuzzing server there"; exit 2; fi
  setsid "${runner[@]}" fuzzingserver --spec Autobahn/fuzzingserver.json --port "$port" --exit-after-reports ${RUNNER_ARGS:-} & pgid=$!
  wait_port "$port" 60 || exit 2
  timeout "${CLIENT_TIMEOUT:-2400}" "$@"  # sections 12/13 (permessage-deflate) take several minutes
  wait "$pgid"; pgid=""
  index=./reports/clients/index.json
fi
echo "conformance run took $(( $(date +%s) - start )) s"
"${runner[@]}" check "$index"
