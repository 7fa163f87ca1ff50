#!/usr/bin/env bash
# Renamed: Autobahn/wstest.sh (runs the real Autobahn TestSuite, wstest, against the WsCore echo server and client).
# Kept so that existing scripts and CI jobs keep working.
exec "$(dirname "$0")/wstest.sh" "$@"
