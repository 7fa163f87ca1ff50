#!/usr/bin/env bash
# Packs WsCore and WsCore.AspNetCore (Release) into .ci/out/packages and checks that each .nupkg carries the assembly,
# its XML docs, its own README (src/<id>/README.md) and the licence, and that its symbols package carries the PDB. Exit code 0 when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.ci/out/packages
rm -rf "$out"; mkdir -p "$out"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
missing=0
check_package() { # id: packs src/<id> and checks its .nupkg and .snupkg
  local id=$1 nupkg snupkg listing nuspec
  dotnet pack "src/$id/$id.csproj" -c Release -o "$out" -nologo -v q
  nupkg=$(ls "$out"/"$id".[0-9]*.nupkg | head -1)
  snupkg=${nupkg%.nupkg}.snupkg
  listing=$(unzip -l "$nupkg")
  for f in "lib/net10.0/$id.dll" "lib/net10.0/$id.xml" README.md LICENSE "$id.nuspec"; do
    if grep -qE "[[:space:]]$f\$" <<<"$listing"; then echo "pack: $f ok"; else echo "pack: $f MISSING from $nupkg"; missing=1; fi
  done
  # The README in the package is the package's own (src/<id>/README.md), not the repository's developer README.
  if unzip -p "$nupkg" README.md | cmp -s - "src/$id/README.md"; then echo "pack: $id README is src/$id/README.md"; else echo "pack: $id README.md in $nupkg is not src/$id/README.md"; missing=1; fi
  if [ -f "$snupkg" ] && unzip -l "$snupkg" | grep -qE "[[:space:]]lib/net10.0/$id.pdb\$"; then echo "pack: $id symbols ok"; else echo "pack: $id.pdb MISSING from $snupkg"; missing=1; fi
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  for tag in '<license type="expression">MIT</license>' '<readme>README.md</readme>' "<id>$id</id>"; do
    if grep -qF "$tag" <<<"$nuspec"; then :; else echo "pack: $id nuspec lacks $tag"; missing=1; fi
  done
  [ "$missing" -eq 0 ] && echo "pack: $(basename "$nupkg") ok"
}
check_package WsCore
# The ASP.NET Core package depends on the WsCore package and the shared framework, nothing else.
check_package WsCore.AspNetCore
nuspec=$(unzip -p "$(ls "$out"/WsCore.AspNetCore.[0-9]*.nupkg | head -1)" WsCore.AspNetCore.nuspec)
grep -qE '<dependency id="WsCore" version="' <<<"$nuspec" || { echo "pack: WsCore.AspNetCore does not depend on WsCore"; missing=1; }
grep -qF '<frameworkReference name="Microsoft.AspNetCore.App"' <<<"$nuspec" || { echo "pack: WsCore.AspNetCore lacks its Microsoft.AspNetCore.App framework reference"; missing=1; }
exit $missing
