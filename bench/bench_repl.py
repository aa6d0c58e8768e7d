#!/usr/bin/env python3
"""Stock-firmware readings over a board's console at 115200 baud.

The WebAssembly MicroPython REPL (tests/repl/mprepl.mjs) behind a pty,
paced to 115200 baud (11,520 B/s each way). In the same run:
  - the baseline: a hand-written raw-REPL loop (tests/repl/mprepl.RawRepl)
    that sends one exec per reading printing gc.mem_alloc(), mem_free(),
    threshold() and isenabled(), back to back;
  - gcmon's stock adapter: `gcmon record` on repl://DEV?interval=1 (the
    shortest period the adapter grants), readings delivered per second.
Bytes per reading are counted on the console for both.

    bench_repl.py --gcmon build/client/cli/gcmon [--seconds 10] [--quick]
                  [--doc docs/performance.md] [--context TEXT]
"""
import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "repl"))
import mprepl  # noqa: E402

from docsection import write_section  # noqa: E402
BAUD = 115200
HAND = ("import gc\nprint(gc.mem_alloc(), gc.mem_free(), gc.threshold(), "
        "gc.isenabled())\n")
# What the adapter sends for one reading (client/lib/repl_stock.c builds it
# from the gc functions the board has; these four on this port).
ADAPTER = ("import gc\nprint(gc.mem_alloc(),gc.mem_free(),gc.threshold(),"
           "gc.isenabled(),sep='|')\n")


def hand_loop(path, seconds):
    with mprepl.RawRepl(path) as r:
        r.enter_raw()
        n, out_bytes, in_bytes = 0, 0, 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            r.write(HAND.encode() + b"\x04")
            got = r.read_until(b"OK") + r.read_until(b"\x04") + \
                r.read_until(b"\x04") + r.read_until(b">")
            out_bytes += len(HAND) + 1
            in_bytes += len(got)
            n += 1
        dt = time.monotonic() - t0
        r.leave_raw()
    return n / dt, out_bytes / n, in_bytes / n


def adapter_bytes(path):
    """Console bytes of one adapter reading, each way."""
    with mprepl.RawRepl(path) as r:
        r.enter_raw()
        r.write(ADAPTER.encode() + b"\x04")
        got = r.read_until(b"OK") + r.read_until(b"\x04") + \
            r.read_until(b"\x04") + r.read_until(b">")
        r.leave_raw()
    return len(ADAPTER) + 1, len(got)


def adapter(gcmon, path, seconds, directory):
    target = f"repl://{path}?interval=1"
    info = json.loads(subprocess.run([gcmon, "-t", target, "info", "--json"],
                                     capture_output=True, text=True,
                                     check=True).stdout)
    out = os.path.join(directory, "rec.csv")
    p = subprocess.Popen([gcmon, "-t", target, "record", "--csv", out],
                         stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=20)
    with open(out) as f:
        rows = list(csv.DictReader(f))
    samples = [r for r in rows if r["event"] == "sample"]
    gaps = sum(1 for r in rows if r["event"] == "gap")
    t = [int(r["uptime_us"]) for r in samples]
    rate = (len(samples) - 1) / ((t[-1] - t[0]) / 1e6) if len(t) > 1 else 0
    return rate, len(samples), gaps, info


def section(ctx, hand, adapt, abytes, seconds):
    h_rate, h_out, h_in = hand
    a_rate, a_n, a_gaps, info = adapt
    con = info["console"]
    lines = [
        ctx, "",
        f"The WebAssembly MicroPython 1.27 REPL on a pty paced to {BAUD} "
        f"baud (11,520 B/s each way), {seconds:g} s per row, same run.",
        "",
        "| reader | readings/s | console bytes/reading out | in | note |",
        "|---|---:|---:|---:|---|",
        f"| hand-written raw-REPL loop (one exec per reading, back to back) "
        f"| {h_rate:.1f} | {h_out:.0f} | {h_in:.0f} | baseline |",
        f"| gcmon stock adapter (`record`, `?interval=1` → "
        f"{info['min_interval_ms']} ms ticks) | {a_rate:.1f} | {abytes[0]} | "
        f"{abytes[1]} | {a_n} readings, {a_gaps} gap rows |",
        "",
        f"Adapter / loop: **{a_rate / h_rate:.2f}x** (target: at least 1.0). "
        f"The adapter keeps two snippets in flight, so the board reads the "
        f"next one from its input buffer while the host still receives the "
        f"last one's output. `gcmon info` at connect: one reading "
        f"{con['reading_us'] / 1000:.1f} ms round trip, "
        f"{con['heap_per_reading']} B of board heap per reading, at most "
        f"{con['max_readings_per_s']} readings/s.",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gcmon", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--doc")
    ap.add_argument("--context", default="")
    a = ap.parse_args()
    why = mprepl.available()
    if why:
        sys.exit(f"bench_repl: {why}")
    seconds = 2 if a.quick else a.seconds
    with tempfile.TemporaryDirectory() as d:
        with mprepl.MicroRepl(d, baud=BAUD) as board:
            hand = hand_loop(board.path, seconds)
            abytes = adapter_bytes(board.path)
            adapt = adapter(a.gcmon, board.path, seconds, d)
    text = section(a.context, hand, adapt, abytes, seconds)
    print(text)
    if a.doc:
        write_section(a.doc, "repl", "Stock boards over the console (repl://)",
                      text)


if __name__ == "__main__":
    main()
