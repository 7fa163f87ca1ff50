#!/usr/bin/env bash
# Renamed: Autobahn/grade.sh (grades the WsCore echo server and client with the in-repo runner). Kept so that existing
# scripts and CI jobs keep working.
exec "$(dirname "$0")/grade.sh" "$@"
