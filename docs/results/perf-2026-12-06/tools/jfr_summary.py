"""Summarise a Java Flight Recorder recording of `bench` (usage: jfr_summary.py RECORDING.jfr [OUT.csv]).

Keeps the training thread's samples inside the timed steps (stacks through BenchRunner.step) and prints:
 - how the JVM saw that thread: running Java code (jdk.ExecutionSample) or inside a native method
   (jdk.NativeMethodSample, i.e. in libnd4j/oneDNN through JNI), as shares of the samples;
 - the Java methods it ran most (top frame of the execution samples) and the native methods it waited in;
 - the heap allocated per step in the sampled allocations (jdk.ObjectAllocationSample weights, by class) and the
   garbage collections (count, total pause).
OUT.csv gets one row per (kind, name, samples or bytes). Needs the JDK's `jfr` tool on the PATH.
"""
import collections
import csv
import json
import subprocess
import sys


def frames(event):
    st = event["values"].get("stackTrace") or {}
    out = []
    for f in st.get("frames", []):
        m = f.get("method", {})
        cls = (m.get("type") or {}).get("name", "?")
        out.append(f"{cls}.{m.get('name', '?')}")
    return out   # innermost first


def main():
    path = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else None
    raw = subprocess.run(["jfr", "print", "--json", "--stack-depth", "256", "--events",
                          "jdk.ExecutionSample,jdk.NativeMethodSample,jdk.ObjectAllocationSample,"
                          "jdk.GarbageCollection", path], check=True, capture_output=True, text=True).stdout
    events = json.loads(raw)["recording"]["events"]
    java_top, native_top, alloc = collections.Counter(), collections.Counter(), collections.Counter()
    n_java = n_native = 0
    gcs, pause_ns = 0, 0
    for e in events:
        t = e["type"]
        if t == "jdk.GarbageCollection":
            gcs += 1
            d = e["values"].get("sumOfPauses") or "PT0S"
            pause_ns += parse_duration(d)
            continue
        fr = frames(e)
        if not any("BenchRunner.step" in f for f in fr):
            continue
        thread = (e["values"].get("sampledThread") or e["values"].get("eventThread") or {}).get("javaName", "")
        if thread != "main":
            continue
        if t == "jdk.ExecutionSample":
            n_java += 1
            java_top[fr[0]] += 1
        elif t == "jdk.NativeMethodSample":
            n_native += 1
            native_top[fr[0]] += 1
        elif t == "jdk.ObjectAllocationSample":
            alloc[e["values"]["objectClass"]["name"]] += int(e["values"].get("weight", 0))
    total = n_java + n_native
    if total == 0:
        sys.exit("no samples of the main thread inside BenchRunner.step in " + path)
    print(f"{path}: training thread in the timed steps: {total} samples, in Java code {100 * n_java / total:.1f}%, "
          f"in native methods (JNI) {100 * n_native / total:.1f}%")
    print(f"garbage collections in the whole recording: {gcs}, pauses {pause_ns / 1e6:.1f} ms in total")
    print("\ntop Java methods (share of the thread's samples):")
    for m, c in java_top.most_common(12):
        print(f"  {100 * c / total:5.1f}%  {m}")
    print("\ntop native methods:")
    for m, c in native_top.most_common(12):
        print(f"  {100 * c / total:5.1f}%  {m}")
    print("\nsampled allocation in the timed steps, by class (MB):")
    for m, b in alloc.most_common(10):
        print(f"  {b / 1e6:8.1f}  {m}")
    if out:
        with open(out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["kind", "name", "value"])
            w.writerow(["samples", "java", n_java])
            w.writerow(["samples", "native", n_native])
            w.writerow(["gc", "count", gcs])
            w.writerow(["gc", "pause_ms", round(pause_ns / 1e6, 3)])
            for m, c in java_top.most_common(30):
                w.writerow(["java_method", m, c])
            for m, c in native_top.most_common(30):
                w.writerow(["native_method", m, c])
            for m, b in alloc.most_common(30):
                w.writerow(["allocated_bytes", m, b])


def parse_duration(d):
    """ISO-8601 durations as jfr prints them (PT0.001234S) to nanoseconds."""
    if isinstance(d, (int, float)):
        return int(d)
    d = d.replace("PT", "")
    total = 0.0
    num = ""
    for ch in d:
        if ch.isdigit() or ch in ".-":
            num += ch
        else:
            v = float(num or 0)
            total += v * {"H": 3600, "M": 60, "S": 1}.get(ch, 0)
            num = ""
    return int(total * 1e9)


if __name__ == "__main__":
    main()
