#!/usr/bin/env python3
"""Where one berth command spends its time: runs it N times with BERTH_TRACE_TIMING and prints the median time from the
process start (as this script saw it) to each phase the engine marks, and between phases.

    bench/phases.py BERTH_BINARY N [ARGS...]      (default ARGS: run --rm --network none bb true; BERTH_ROOT from the environment)
"""
import collections, os, re, statistics, subprocess, sys, time

binary, runs = sys.argv[1], int(sys.argv[2])
args = sys.argv[3:] or ["run", "--rm", "--network", "none", "bb", "true"]
env = dict(os.environ, BERTH_TRACE_TIMING="1", BERTH_TRACE_EPOCH="1")
phases, totals, heap = collections.OrderedDict(), [], collections.defaultdict(list)
for i in range(runs + 2):
    time.sleep(float(os.environ.get("PHASES_GAP", "0")))
    start = time.time() * 1000
    done = subprocess.run([binary] + args, env=env, capture_output=True, text=True)
    end = time.time() * 1000
    if done.returncode != 0:
        sys.exit(done.stderr)
    if i < 2:
        continue  # warm-up
    totals.append(end - start)
    seen = collections.Counter()
    for line in done.stderr.splitlines():
        m = re.match(r"berth\[\d+\] \+\s*([\d.]+) ms (.*?)(?: \[(\d+) KiB, gc (\d+)\])?$", line)
        if m:
            seen[m.group(2)] += 1
            name = m.group(2) if seen[m.group(2)] == 1 else f"{m.group(2)} #{seen[m.group(2)]}"
            phases.setdefault(name, []).append(float(m.group(1)) - start)
            if m.group(3):
                heap[name].append(int(m.group(3)))
previous = 0.0
for name, times in phases.items():
    median = statistics.median(times)
    allocated = f"{statistics.median(heap[name]):8.0f} KiB" if heap[name] else ""
    print(f"{median:7.1f} (+{median - previous:5.1f}) {allocated}  {name}")
    previous = median
print(f"{statistics.median(totals):7.1f}          total")
