#!/usr/bin/env bash
# Renamed: Autobahn/grade-peer.sh (grades any server or client command with the in-repo runner). Kept so that existing
# scripts and CI jobs keep working.
exec "$(dirname "$0")/grade-peer.sh" "$@"
