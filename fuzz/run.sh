#!/usr/bin/env bash
# Fuzz one WsCore target with AFL++ and SharpFuzz.
#   fuzz/run.sh TARGET SECONDS      e.g. fuzz/run.sh receive-server 600
#   fuzz/run.sh all SECONDS         every target in turn, SECONDS each (one AFL instance at a time)
# Installs what is missing (afl++ via apt-get, the sharpfuzz tool via `dotnet tool restore`), builds Release,
# instruments a copy of WsCore.dll only, runs afl-fuzz for SECONDS on fuzz/corpus/TARGET, writes findings to
# fuzz/findings/TARGET (gitignored) and exits non-zero if AFL saved any crash or hang.
# FUZZ_SKIP_BUILD=1 reuses fuzz/out/bin from an earlier run (fuzz/ci.sh builds once).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ $# -ne 2 ]; then echo "usage: fuzz/run.sh TARGET|all SECONDS" >&2; exit 2; fi
target=$1; seconds=$2
bin="$root/fuzz/out/bin"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "== installing afl++"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq afl++ >/dev/null
fi

if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$bin/WsCore.Fuzz.dll" ]; then
  echo "== building and instrumenting"
  dotnet tool restore >/dev/null
  rm -rf "$bin"
  dotnet build fuzz/WsCore.Fuzz/WsCore.Fuzz.csproj -c Release -o "$bin" -nologo -v q
  # Only the library under test is instrumented: the targets, the oracle and the runtime stay uninstrumented.
  dotnet sharpfuzz "$bin/WsCore.dll"
fi

if [ "$target" = all ]; then
  rc=0
  for t in $(dotnet "$bin/WsCore.Fuzz.dll" list); do
    # FUZZ_SKIP_TARGETS (space-separated): targets to leave out of this run (e.g. while a known finding is being
    # fixed); their seeds and regressions are still replayed by the tests.
    case " ${FUZZ_SKIP_TARGETS:-} " in *" $t "*) echo "$t: skipped (FUZZ_SKIP_TARGETS)"; continue ;; esac
    FUZZ_SKIP_BUILD=1 "$0" "$t" "$seconds" || rc=1
  done
  exit $rc
fi

if [ ! -d "fuzz/corpus/$target" ]; then echo "no corpus folder fuzz/corpus/$target" >&2; exit 2; fi
findings="$root/fuzz/findings/$target"
rm -rf "$findings"; mkdir -p "$findings"

# AFL++ in a container, running as root, on a .NET process that is not a native AFL binary.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1
export AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1 AFL_IGNORE_UNKNOWN_ENVS=1 AFL_FORKSRV_INIT_TMOUT=60000
echo "== afl-fuzz $target for ${seconds}s"
afl-fuzz -i "fuzz/corpus/$target" -o "$findings" -t 5000 -m none -V "$seconds" \
  -- dotnet "$bin/WsCore.Fuzz.dll" "$target" > "$findings/afl.log" 2>&1 || {
  echo "afl-fuzz failed; last lines of $findings/afl.log:" >&2; tail -30 "$findings/afl.log" >&2; exit 3; }

stats="$findings/default/fuzzer_stats"
get() { sed -n "s/^$1 *: *//p" "$stats"; }
crashes=$(find "$findings/default/crashes" -name 'id:*' 2>/dev/null | wc -l)
hangs=$(find "$findings/default/hangs" -name 'id:*' 2>/dev/null | wc -l)
echo "$target: run_time=$(get run_time)s execs_done=$(get execs_done) execs_per_sec=$(get execs_per_sec)" \
  "corpus_count=$(get corpus_count) bitmap_cvg=$(get bitmap_cvg) edges_found=$(get edges_found) crashes=$crashes hangs=$hangs"
if [ "$crashes" -ne 0 ] || [ "$hangs" -ne 0 ]; then
  echo "$target: AFL saved crashes/hangs under $findings/default; reproduce with:" >&2
  # (fuzz/out/bin holds the instrumented WsCore.dll, which only runs under afl-fuzz: replay with a normal build.)
  echo "  dotnet run --project fuzz/WsCore.Fuzz -c Release -- replay $target $findings/default/crashes" >&2
  exit 1
fi
