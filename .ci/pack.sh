#!/usr/bin/env bash
# Packs WsCore (Release) into .ci/out/packages and checks that the .nupkg carries the assembly, its XML docs, the README
# and the licence, and that the symbols package carries the PDB. Exit code 0 when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.ci/out/packages
rm -rf "$out"; mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet pack src/WsCore/WsCore.csproj -c Release -o "$out" -nologo -v q
nupkg=$(ls "$out"/WsCore.*.nupkg | grep -v '\.snupkg$' | head -1)
snupkg=${nupkg%.nupkg}.snupkg
listing=$(unzip -l "$nupkg")
missing=0
for f in lib/net10.0/WsCore.dll lib/net10.0/WsCore.xml README.md LICENSE WsCore.nuspec; do
  if grep -qE "[[:space:]]$f\$" <<<"$listing"; then echo "pack: $f ok"; else echo "pack: $f MISSING from $nupkg"; missing=1; fi
done
if [ -f "$snupkg" ] && unzip -l "$snupkg" | grep -qE '[[:space:]]lib/net10.0/WsCore.pdb$'; then echo "pack: symbols ok"; else echo "pack: WsCore.pdb MISSING from $snupkg"; missing=1; fi
nuspec=$(unzip -p "$nupkg" WsCore.nuspec)
for tag in '<license type="expression">MIT</license>' '<readme>README.md</readme>' '<id>WsCore</id>'; do
  if grep -qF "$tag" <<<"$nuspec"; then :; else echo "pack: nuspec lacks $tag"; missing=1; fi
done
[ "$missing" -eq 0 ] && echo "pack: $(basename "$nupkg") ok"
exit $missing
