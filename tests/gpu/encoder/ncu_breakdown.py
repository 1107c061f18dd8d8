#!/usr/bin/env python3
"""Sums ncu's per-kernel durations by kernel (the second half of the launches
only: `embed --profile` encodes twice, the first is the warm-up).

  ncu --csv --clock-control none --cache-control none \\
      --metrics gpu__time_duration.sum build/bin/embed --profile bf16 | ncu_breakdown.py
"""
import collections
import csv
import re
import sys


def short(name):
    name = re.sub(r"\(.*", "", name)            # argument list
    for key in ("attention_mma_kernel", "attention_kernel", "embedding_layer_norm_kernel",
                "bias_residual_layer_norm_kernel", "bias_activation", "pool_normalize_kernel"):
        if key in name:
            return key
    return "cublas " + name[:60]


def main():
    lines = [l for l in sys.stdin if l.startswith('"')]
    rows = list(csv.DictReader(lines))
    rows = [r for r in rows if r.get("Metric Name") == "gpu__time_duration.sum"]
    rows = rows[len(rows) // 2:]
    total = collections.OrderedDict()
    count = collections.Counter()
    for r in rows:
        k = short(r["Kernel Name"])
        v = float(r["Metric Value"].replace(",", ""))
        unit = r.get("Metric Unit", "ns")
        v = v / 1000.0 if unit in ("nsecond", "ns") else v * 1000.0 if unit in ("msecond", "ms") else v
        total[k] = total.get(k, 0.0) + v
        count[k] += 1
    s = sum(total.values())
    print("%-64s %6s %10s %7s" % ("kernel", "calls", "total us", "share"))
    for k, v in sorted(total.items(), key=lambda kv: -kv[1]):
        print("%-64s %6d %10.1f %6.1f%%" % (k, count[k], v, 100 * v / s))
    print("%-64s %6d %10.1f" % ("sum of kernel time", sum(count.values()), s))


if __name__ == "__main__":
    main()
