#!/usr/bin/env python3
"""Where a `berth run` spends its time among its processes: runs it N times under `perf record` (the kernel's exec and
exit events of every process, system-wide) with BERTH_TRACE_TIMING, and prints the median time from berth's exec to
each of berth's phase marks and to the exec/exit of conmon, runc, `runc init` and the container's program, so the
marks and the other processes sit on one time line.

    bench/timeline.py BERTH_BINARY N [ARGS...]   (default ARGS: run --rm --network none bb true; BERTH_ROOT from the environment)

Needs perf (Debian's linux-perf) and root. The container's program is taken to be the last word of ARGS.
"""
import collections, os, re, statistics, subprocess, sys, tempfile, time

binary, runs = sys.argv[1], int(sys.argv[2])
args = sys.argv[3:] or ["run", "--rm", "--network", "none", "bb", "true"]
program = os.path.basename(args[-1])
work = tempfile.mkdtemp(prefix="berth-timeline-")
data, marks_file = os.path.join(work, "perf.data"), os.path.join(work, "marks.txt")
# perf stamps events with CLOCK_MONOTONIC (-k mono); berth's marks are wall-clock milliseconds (BERTH_TRACE_EPOCH).
wall_minus_mono = time.time() * 1000 - time.monotonic() * 1000
loop = " ".join(["for i in $(seq %d); do" % (runs + 2), f"{binary} {' '.join(args)} >/dev/null 2>>{marks_file};", "done"])
env = dict(os.environ, BERTH_TRACE_TIMING="1", BERTH_TRACE_EPOCH="1")
subprocess.run(["perf", "record", "-q", "-k", "mono", "-e", "sched:sched_process_exec,sched:sched_process_exit", "-a",
                "-o", data, "--", "sh", "-c", loop], env=env, check=True, stderr=subprocess.DEVNULL)

events = []
script = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,time,event,trace", "--ns"],
                        capture_output=True, text=True, check=True).stdout
for line in script.splitlines():
    m = re.match(r"\s*(\S.*?)\s+(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)", line)
    if m:
        events.append((float(m.group(3)) * 1000, m.group(1), int(m.group(2)), m.group(4).split(":")[-1], m.group(5)))

marks = collections.defaultdict(list)
for line in open(marks_file):
    m = re.match(r"berth\[(\d+)\] \+\s*([\d.]+) ms (.*?)(?: \[.*)?$", line.strip())
    if m:
        marks[int(m.group(1))].append((float(m.group(2)) - wall_minus_mono, m.group(3)))


def first(events_in_run, kind, test):
    return next((t for t, comm, pid, event, trace in events_in_run if event == kind and test(comm, trace)), None)


points = collections.defaultdict(list)
for pid in sorted(marks)[2:]:  # the first two runs warm up
    start = next((t for t, c, p, e, tr in events if e == "sched_process_exec" and p == pid), None)
    end = next((t for t, c, p, e, tr in events if e == "sched_process_exit" and p == pid and c == "berth"), None)
    if start is None or end is None:
        continue
    during = [e for e in events if start < e[0] < end]
    seen = {
        "conmon exec": first(during, "sched_process_exec", lambda c, tr: tr.startswith("filename=") and tr.split()[0].endswith("/conmon")),
        "runtime exec": first(during, "sched_process_exec", lambda c, tr: re.search(r"filename=\S*/(runc|crun) ", tr + " ") is not None),
        "runc init exec": first(during, "sched_process_exec", lambda c, tr: "filename=/proc/self/exe" in tr),
        f"{program} exec": first(during, "sched_process_exec", lambda c, tr: tr.split()[0].endswith("/" + program)),
        f"{program} exit": first(during, "sched_process_exit", lambda c, tr: c == program),
        "conmon exit": first(during, "sched_process_exit", lambda c, tr: c == "conmon"),
        "berth exit": end,
    }
    for name, t in seen.items():
        if t is not None:
            points["(" + name + ")"].append(t - start)
    for t, name in marks[pid]:
        points[name].append(t - start)

print(f"median ms after berth's exec, {runs} runs ({binary} {' '.join(args)}); (parenthesised): kernel events")
for name, values in sorted(points.items(), key=lambda kv: statistics.median(kv[1])):
    print(f"{statistics.median(values):8.1f}  {name}")
