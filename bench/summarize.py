#!/usr/bin/env python3
"""Turns a BenchmarkDotNet console log into one markdown table per class: the median of every method per parameter
row, each method's median ratio to the baseline (ManagedWebSocket or the BCL), and allocated bytes per operation.
Usage: python3 bench/summarize.py run.log  (the log of `WsCore.Benchmarks ... > run.log`)."""
import re, sys

UNITS = {"ns": 1.0, "us": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9}
BASELINES = {"ManagedWebSocket", "CopyTo", "BclIsValid", "NaiveAccept", "ManagedCompress", "ManagedDecompress"}
# Benchmarks whose summary shows a Description instead of the method name.
DESCRIPTIONS = {
    "Span.CopyTo": "CopyTo", "Masking.Apply in place": "InPlace", "Masking.Apply copy": "Copy",
    "Utf8.IsValid": "BclIsValid", "Utf8Validator whole": "Whole", "Utf8Validator 4 KiB pieces": "Pieces",
    "FrameHeader.TryRead": "Read", "FrameHeader.TryWrite": "Write",
    "accept: Convert.ToBase64String(SHA1.HashData(ASCII(key + guid)))": "NaiveAccept",
    "accept: WebSocketAccept.TryCompute": "WsCoreAccept", "request: HandshakeRequestReader (browser request)": "ReadRequest",
    "compress: WsCore": "WsCoreCompress", "compress: ManagedWebSocket": "ManagedCompress",
    "decompress: WsCore": "WsCoreDecompress", "decompress: ManagedWebSocket": "ManagedDecompress",
}
PAIRS = {"WsCoreCompress": "ManagedCompress", "WsCoreDecompress": "ManagedDecompress", "WsCoreAccept": "NaiveAccept",
         "WsCore": "ManagedWebSocket", "InPlace": "CopyTo", "Copy": "CopyTo", "Whole": "BclIsValid", "Pieces": "BclIsValid"}

def ns(text):
    value, unit = text.replace(",", "").split()
    return float(value) * UNITS[unit]

def fmt(v):
    return f"{v:,.1f} ns" if v < 1e3 else f"{v / 1e3:,.2f} μs"

log = open(sys.argv[1], encoding="utf-8").read().splitlines()
medians = {}  # class -> params -> method -> ns
allocs = {}   # class -> params -> method -> bytes per operation
order = {}
current = None
gc = None
for line in log:
    m = re.match(r"^// Benchmark: (\w+)\.('[^']*'|[\w.]+): [\w-]+\(.*\)(?: \[(.*)\])?$", line)
    if m:
        method = m.group(2).strip("'")
        current, gc = (m.group(1), DESCRIPTIONS.get(method, method), m.group(3) or ""), None
        continue
    if current is None:
        continue
    g = re.match(r"^// GC:\s+(\d+) (\d+) (\d+) (\d+) (\d+)", line)
    if g:
        gc = int(g.group(4)) / max(1, int(g.group(5)))
        continue
    mm = re.search(r"Median = ([\d.,]+ \S+)", line)
    if mm:
        cls, method, params = current
        medians.setdefault(cls, {}).setdefault(params, {})[method] = ns(mm.group(1))
        allocs.setdefault(cls, {}).setdefault(params, {})[method] = gc
        order.setdefault(cls, [])
        if params not in order[cls]:
            order[cls].append(params)
        current = None

def bytes_text(b):
    return "?" if b is None else f"{b:,.0f} B"

for cls, rows in medians.items():
    methods = []
    for p in order[cls]:
        for m in rows[p]:
            if m not in methods:
                methods.append(m)
    print(f"\n#### {cls}\n")
    pnames = [kv.split("=")[0] for kv in order[cls][0].split(", ")] if order[cls][0] else []
    cols = pnames + [f"{m} median" for m in methods]
    ratios = [m for m in methods if m in PAIRS and PAIRS[m] in methods]
    cols += [f"{PAIRS[m]} / {m}" for m in ratios] + [f"{m} alloc" for m in methods]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(pnames) + "---:|" * (len(cols) - len(pnames)))
    for p in order[cls]:
        r = rows[p]
        cells = [kv.split("=", 1)[1] for kv in p.split(", ")] if p else []
        cells += [fmt(r[m]) if m in r else "-" for m in methods]
        cells += [f"{r[PAIRS[m]] / r[m]:.2f}×" if m in r and PAIRS[m] in r else "-" for m in ratios]
        cells += [bytes_text(allocs[cls][p].get(m)) if m in r else "-" for m in methods]
        print("| " + " | ".join(cells) + " |")
