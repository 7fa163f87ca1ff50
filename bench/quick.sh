#!/usr/bin/env bash
# CI quick mode: every BenchmarkDotNet class compiles and runs (Dry job: one cold iteration per row, on a filtered
# subset of parameters), and the end-to-end echo load runs for 1 s with 10 connections against both servers.
# Numbers from this mode mean nothing; it only proves the benchmarks still work. Well under 3 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/WsCore.Benchmarks -c Release -v q -nologo
# In process (no per-benchmark child process): every class, method and parameter row runs once.
timeout 170 dotnet bench/WsCore.Benchmarks/bin/Release/net10.0/WsCore.Benchmarks.dll --job Dry \
  --inProcess --filter '*' --artifacts "${TMPDIR:-/tmp}/wscore-bench-quick" \
  --stopOnFirstError 2>&1 | tail -5
CONNECTIONS=10 SIZES="20 16384" WARMUP=0.5 DURATION=1 timeout 170 bench/echo.sh
