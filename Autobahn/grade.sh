#!/usr/bin/env bash
# The main job: builds the WsCore echo server and client and grades them with the in-repo Autobahn conformance
# runner (sections 1-7, 9, 10, and 12-13: permessage-deflate), printing the per-section table for each role.
#
#   Autobahn/grade.sh [server|client|both]   (default: both)
#
# Ports: SERVER_PORT (default 9001) and CLIENT_PORT (default 9002). Exit code 0 only if every case is OK.
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-both}
dotnet build -c Release Autobahn/Hosts/WsCoreEcho -v q -nologo >/dev/null || { echo "build failed"; exit 2; }
echo_dll=Autobahn/Hosts/WsCoreEcho/bin/Release/net10.0/WsCoreEcho.dll
rc=0
if [ "$what" = server ] || [ "$what" = both ]; then
  port=${SERVER_PORT:-9001}
  rm -rf reports/servers
  CONFORMANCE_PORT=$port Autobahn/grade-peer.sh client -- dotnet "$echo_dll" server --port "$port" || rc=1
fi
if [ "$what" = client ] || [ "$what" = both ]; then
  port=${CLIENT_PORT:-9002}
  rm -rf reports/clients
  CONFORMANCE_PORT=$port Autobahn/grade-peer.sh server -- dotnet "$echo_dll" client --url "ws://127.0.0.1:$port" --agent WsCore || rc=1
fi
exit $rc
