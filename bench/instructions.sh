#!/usr/bin/env bash
# Instruction counts of WebSocketProtocol.Receive under valgrind's callgrind, for the WsCore source tree given.
#   bench/instructions.sh [SOURCE_TREE] [LABEL] [CASE_FILTER]
# SOURCE_TREE: a checkout whose src/WsCore/WsCore.csproj is measured (default: this repository), e.g. a worktree at
# another commit; LABEL names the output directory ($OUT, default /tmp/wscore-instructions/LABEL); CASE_FILTER is a
# substring of case names (the harness's --list prints them). Builds a copy of bench/WsCore.InstructionCount against
# SOURCE_TREE (so two trees never share an obj directory), the callgrind client-request shim with gcc, then runs every
# case once under callgrind: per case a warm-up, then N and 2N messages, each counted alone (CALLGRIND_ZERO_STATS
# before, CALLGRIND_DUMP_STATS_AT after). Prints and writes $OUT/instructions.tsv: (I(2N) - I(N)) / N per message, the
# harness's loop included (as in ReceiveBenchmarks' WsCore method), counted on the main thread only (--separate-threads:
# a runtime thread that JIT-compiles now and then landed in some counted runs, up to 0.7 M instructions); Ir_fixed =
# 2 I(N) - I(2N) is what does not scale with N (about 145: the client-request calls) and shows a run that went wrong.
# JIT: DOTNET_TieredCompilation=0 DOTNET_TieredPGO=0 DOTNET_ReadyToRun=0 (every method, framework included, JIT-compiled
# once at full optimization, no tiering, no PGO), W^X off so valgrind sees JIT-written code as it is written.
# Needs valgrind (apt-get install -y valgrind: /usr/include/valgrind/callgrind.h), gcc, python3.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
TREE="$(cd "${1:-$HERE/..}" && pwd)"
LABEL="${2:-$(basename "$TREE")}"
FILTER="${3:-}"
OUT="${OUT:-${TMPDIR:-/tmp}/wscore-instructions/$LABEL}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

rm -rf "$OUT/src" "$OUT/bin" "$OUT"/callgrind.out* "$OUT/instructions.tsv"
mkdir -p "$OUT/src"
cp "$HERE/WsCore.InstructionCount/WsCore.InstructionCount.csproj" "$HERE/WsCore.InstructionCount/"*.cs \
   "$HERE/WsCore.InstructionCount/callgrind_marks.c" "$OUT/src/"
gcc -O2 -shared -fPIC -o "$OUT/libwscore_cgmarks.so" "$OUT/src/callgrind_marks.c"
dotnet build "$OUT/src/WsCore.InstructionCount.csproj" -c Release -v q -nologo -p:WsCoreRoot="$TREE/" -o "$OUT/bin" >"$OUT/build.log" \
  || { cat "$OUT/build.log"; exit 1; }
echo "tree: $TREE ($(git -C "$TREE" rev-parse --short HEAD 2>/dev/null || echo '?'))" | tee "$OUT/tree.txt"

( cd "$OUT" && env DOTNET_TieredCompilation=0 DOTNET_TieredPGO=0 DOTNET_ReadyToRun=0 DOTNET_EnableWriteXorExecute=0 \
    DOTNET_gcServer=0 DOTNET_gcConcurrent=0 WSCORE_CGMARKS="$OUT/libwscore_cgmarks.so" \
    valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes --callgrind-out-file="$OUT/callgrind.out" \
    dotnet "$OUT/bin/WsCore.InstructionCount.dll" ${FILTER:+"$FILTER"} >"$OUT/harness.log" 2>"$OUT/valgrind.log" ) \
  || { tail -20 "$OUT/valgrind.log"; exit 1; }

python3 - "$OUT" <<'PY'
import glob, os, sys
out = sys.argv[1]
runs = {}  # case -> {n: Ir}
meta = {}
order = []
for path in glob.glob(os.path.join(out, "callgrind.out.*-01")):  # the main thread only
    desc = ir = None
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("desc: Trigger: Client Request: "): desc = line.split(": ", 3)[3].strip()
            elif line.startswith("summary: ") or (ir is None and line.startswith("totals: ")): ir = int(line.split()[1])
    if desc is None or "|" not in desc: continue
    name, n, wire, payload = desc.rsplit("|", 3)
    runs.setdefault(name, {})[int(n)] = ir
    meta[name] = (int(wire), int(payload))
    order.append((os.path.getmtime(path), name))
seen = []
for _, name in sorted(order):
    if name not in seen: seen.append(name)
rows = ["case\twire_bytes\tpayload_bytes\tN\tIr(N)\tIr(2N)\tIr_fixed\tIr_per_message\tIr_per_KiB"]
for name in seen:
    (n1, i1), (n2, i2) = sorted(runs[name].items())
    per = (i2 - i1) / (n2 - n1)
    wire, payload = meta[name]
    rows.append(f"{name}\t{wire}\t{payload}\t{n1}\t{i1}\t{i2}\t{2 * i1 - i2}\t{per:.1f}\t{per * 1024 / payload:.1f}")
text = "\n".join(rows) + "\n"
open(os.path.join(out, "instructions.tsv"), "w").write(text)
print(text, end="")
PY
