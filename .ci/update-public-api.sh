#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to src/WsCore/PublicAPI.Unshipped.txt
# (or that of the project given, e.g. `.ci/update-public-api.sh src/WsCore.AspNetCore`),
# and removes declared symbols that no longer exist (RS0017). Run after changing the public API on purpose, then
# review the diff of PublicAPI.Unshipped.txt: it is the record of the public surface.
set -uo pipefail
cd "$(dirname "$0")/.."
project=${1:-src/WsCore}
file=$project/PublicAPI.Unshipped.txt
for _ in 1 2 3; do
  log=$(dotnet build "$project" -c Release -nologo --no-incremental 2>&1)
  added=$(grep -oP "error RS0016: Symbol '\K.*(?=' is not part of the declared public API)" <<<"$log" | sort -u)
  removed=$(grep -oP "error RS0017: Symbol '\K.*(?=' is part of the declared API, but)" <<<"$log" | sort -u)
  [ -z "$added$removed" ] && break
  { cat "$file"; [ -n "$added" ] && echo "$added"; } | grep -vxF -f <(printf '%s\n' "$removed" | sed '/^$/d') | sed '/^$/d' | sort -u > "$file.tmp"
  { grep -x '#nullable enable' "$file.tmp"; grep -vx '#nullable enable' "$file.tmp"; } > "$file"; rm -f "$file.tmp"
done
dotnet build "$project" -c Release -nologo 2>&1 | grep -E "error|Build succeeded" | sort -u | head -5
