#!/usr/bin/env python3
"""Compares variants of berth on one command, in alternating paired runs on ONE store, for development work (the
benchmark suite itself is bench/run). Two stores holding the same image were seen to drift apart by up to 6 ms over a
quarter of an hour on this machine (an A/A comparison on one store stays within ~0.6 ms), so every variant runs on the
store given by BERTH_ROOT.

    BERTH_ROOT=/tmp/store bench/paired.py N NAME=BINARY[,ENV=VALUE...] NAME=BINARY[,ENV=VALUE...] ... [-- ARGS...]

Default ARGS: run --rm --network none bb true. Each round runs every variant once, in an order that rotates from round
to round, with a short pause between runs; two rounds of warm-up are not counted. Prints each variant's median and mean
wall time and CPU (of it and its children, which a subreaper collects), and each variant's paired difference from the
first one: the median of the per-round differences with a 95% bootstrap interval.
"""
import ctypes, os, random, resource, statistics, subprocess, sys, time

argv = sys.argv[1:]
args = ["run", "--rm", "--network", "none", "bb", "true"]
if "--" in argv:
    args = argv[argv.index("--") + 1:]
    argv = argv[:argv.index("--")]
if len(argv) < 2 or "BERTH_ROOT" not in os.environ:
    sys.exit(__doc__)
rounds, variants = int(argv[0]), []
for spec in argv[1:]:
    name, rest = spec.split("=", 1)
    binary, *settings = rest.split(",")
    variants.append((name, binary, dict(os.environ, **dict(s.split("=", 1) for s in settings))))

# A subreaper: conmon and the runtime's processes, which leave berth, are reaped here and their CPU counted.
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                return
        except ChildProcessError:
            return


def once(binary, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([binary, *args], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = (time.perf_counter() - start) * 1000
    time.sleep(0.15)  # what the run left (conmon ending) is over before the next one
    reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000


walls = {name: [] for name, _, _ in variants}
cpus = {name: [] for name, _, _ in variants}
for r in range(rounds + 2):
    k = r % len(variants)
    for name, binary, env in variants[k:] + variants[:k]:
        wall, cpu = once(binary, env)
        if r >= 2:
            walls[name].append(wall)
            cpus[name].append(cpu)

base = variants[0][0]
print(f"{rounds} rounds of: berth {' '.join(args)}  (store {os.environ['BERTH_ROOT']})")
for name, _, _ in variants:
    line = f"{name:12s} median {statistics.median(walls[name]):7.1f} ms  mean {statistics.mean(walls[name]):7.1f}  cpu {statistics.median(cpus[name]):6.1f}"
    if name != base:
        diffs = [a - b for a, b in zip(walls[name], walls[base])]
        boot = sorted(statistics.median(random.choices(diffs, k=len(diffs))) for _ in range(2000))
        line += f"  vs {base}: {statistics.median(diffs):+.1f} ms [{boot[50]:+.1f}, {boot[1949]:+.1f}]"
    print(line)
