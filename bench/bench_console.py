#!/usr/bin/env python3
"""The agent over a board's console against the agent on its own UART.

The MicroPython module's server on a pretend VM (mp_fake_agent: the
module's loop thread, agent, sampler and VM worker; the sampler at 10 ms,
the agent's shortest period) behind a line paced to the baud rate in both
directions (tests/reliability/faultlink.py without faults: two ptys and a
relay carrying 10 bits a byte). In the same run, alternating:
  - A, UART: the module serves the line itself, as gcmon.start(uart=...)
    does; the host reads serial://LINE;
  - B, console: the line is the board's REPL (tests/repl/standin.py's
    stand-in raw REPL) and gcmon.serve_console() is the module's console
    pump (daemon/micropython/console.c); the host reads repl://LINE?baud=N
    (Ctrl-C, raw REPL, probe, serve_console(baud=N), then the protocol);
    where the line is saturated also B0, without ?baud.
The host is one libgcmon subscriber at interval 0 (every sample the sampler
takes), timed by bench_console_stream: samples/s delivered, link bytes per
sample each way, and open-to-first-sample time; first with the stream
libgcmon picks by default on each link (compact on both), then with full v1
samples (a load near the line's capacity at 115200). Median of the repeats.

    bench_console.py --build DIR [--seconds 10] [--repeats 3] [--quick]
                     [--bauds 115200,9600] [--doc docs/performance.md]
                     [--context TEXT]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, "tests", "repl"),
                os.path.join(ROOT, "tests", "reliability")]
from docsection import write_section  # noqa: E402
from faultlink import FaultyLink  # noqa: E402
from standin import FakeAgentConsole  # noqa: E402

INTERVAL_MS = "10"  # GCMON_MIN_INTERVAL_MS: the agent takes no shorter
HANDBACK_WAIT_S = 30
# Where the line cannot carry what the sampler takes: the console is also
# measured without ?baud (serve_console() without a line speed).
SATURATED = {(9600, "full")}
LINKS = {"A": "A: own UART (`serial://`)",
         "B": "B: console (`repl://?baud=N`, `serve_console(baud=N)`)",
         "B0": "B0: console without `?baud` (`serve_console()`)"}
FIELDS = ("handshake_s", "rate", "samples", "in_per_sample",
          "out_per_sample", "missing", "compact", "period_ms")


STREAMS = {"compact": [], "full": ["full"]}  # bench_console_stream's


def measure(stream, target, seconds, kind):
    p = subprocess.run([stream, target, f"{seconds:g}", *STREAMS[kind]],
                       capture_output=True, text=True, timeout=seconds + 60)
    if p.returncode != 0:
        raise RuntimeError(f"bench_console_stream {target}: {p.stderr}")
    return dict(zip(FIELDS, (float(v) for v in p.stdout.split())))


def on_uart(agent, stream, baud, seconds, kind):
    with FaultyLink(baud=baud) as link:
        prog = subprocess.Popen(
            [agent, "--interval", INTERVAL_MS, "--uart", link.board_path,
             "--baud", str(baud)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            prog.stdout.readline()  # "port N": serving
            return measure(stream, f"serial://{link.host_path}?baud={baud}",
                           seconds, kind)
        finally:
            prog.stdin.write("quit\n")
            prog.stdin.close()
            prog.wait(20)


def on_console(agent, stream, baud, seconds, kind, say_baud=True):
    with FaultyLink(baud=baud) as link:
        fd = os.open(link.board_path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(fd)
        board = FakeAgentConsole(agent, fd=fd,
                                 agent_args=["--interval", INTERVAL_MS])
        try:
            # ?baud=N: serve_console(baud=N), the lag bound of a UART.
            # Without it libgcmon still passes its default baud, except on
            # a USB CDC console (ttyACM*): B0 is reached by such a name.
            path, opt = link.host_path, f"?baud={baud}"
            if not say_baud:
                path = os.path.join(tempfile.gettempdir(),
                                    f"ttyACM-b0-{os.getpid()}")
                if os.path.lexists(path):
                    os.unlink(path)
                os.symlink(link.host_path, path)
                opt = ""
            try:
                r = measure(stream, f"repl://{path}{opt}", seconds, kind)
            finally:
                if not say_baud:
                    os.unlink(path)
            # The host has closed (its Ctrl-C, Ctrl-B are on the line):
            # until serve_console() returns, the REPL is not back.
            left = time.monotonic()
            while len(board.ends) < board.calls and \
                    time.monotonic() - left < HANDBACK_WAIT_S:
                time.sleep(0.01)
            r["back_s"] = (time.monotonic() - left
                           if len(board.ends) == board.calls else None)
        finally:
            board.close()
            os.close(fd)
        # "console END frames_in I frames_out O writes W bytes_out B": the
        # pump's own count for the whole session
        end = board.ends[-1] if board.ends else []
        r["end"] = end[1] if len(end) > 1 else "none"
        r["frames_out"] = int(end[5]) if len(end) > 9 else 0
        r["writes"] = int(end[7]) if len(end) > 9 else 0
        r["bytes_out"] = int(end[9]) if len(end) > 9 else 0
        return r


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def handback(runs):
    backs = [x["back_s"] for x in runs]
    if None in backs:
        return "not within %d s in %d of %d runs" % (
            HANDBACK_WAIT_S, backs.count(None), len(backs))
    return "at most %.2f s" % max(backs)


def per_write(runs):
    return statistics.median(r["bytes_out"] / max(1, r["writes"])
                             for r in runs)


def run_case(agent, stream, baud, kind, seconds, repeats):
    """{link: [one result per run]}: A, B, and B0 (the console without its
    baud) where the line is saturated."""
    links = {"A": [], "B": []}
    if (baud, kind) in SATURATED:
        links["B0"] = []
    for i in range(repeats):
        print(f"bench_console: {baud} baud, {kind}, run {i + 1}/{repeats}",
              file=sys.stderr)
        links["A"].append(on_uart(agent, stream, baud, seconds, kind))
        links["B"].append(on_console(agent, stream, baud, seconds, kind))
        if "B0" in links:
            links["B0"].append(on_console(agent, stream, baud, seconds, kind,
                                          say_baud=False))
    return links


def rows(baud, kind, links):
    out = []
    for link, runs in links.items():
        out.append(
            f"| {baud} | {kind} | {LINKS[link]} | "
            f"{median(runs, 'rate'):.1f} | "
            f"{median(runs, 'in_per_sample'):.1f} | "
            f"{median(runs, 'out_per_sample'):.2f} | "
            f"{median(runs, 'handshake_s'):.2f} | "
            f"{' / '.join('%.1f' % r['rate'] for r in runs)} |")
    return out


def section(ctx, results, seconds, repeats):
    lines = [
        ctx, "",
        f"mp_fake_agent (the module on a pretend VM, sampler period "
        f"{INTERVAL_MS} ms: 100 samples/s taken) behind a line paced to the "
        f"baud rate both ways; one libgcmon subscriber at interval 0, "
        f"{seconds:g} s per run, A and B alternating, median of {repeats}.",
        "",
        "| baud | stream | link | samples/s | bytes/sample board→host | "
        "host→board | open to first sample (s) | runs (samples/s) |",
        "|---:|---|---|---:|---:|---:|---:|---|",
    ]
    notes = []
    for (baud, kind), links in results.items():
        lines += rows(baud, kind, links)
        uart, console = links["A"], links["B"]
        ratio = median(console, "rate") / median(uart, "rate")
        granted = {x["compact"] for x in uart + console}
        fmt = ("compact granted on both links" if granted == {1} else
               "full samples on both links" if granted == {0} else
               "compact on some runs only")
        notes.append(
            f"- {baud} baud, {kind}: B / A = **{ratio:.2f}** (goal: at least "
            f"0.90); {fmt}, {sum(x['missing'] for x in uart + console):.0f} "
            f"samples "
            f"missing in all runs; each console session ended "
            f"{', '.join(sorted(set(x['end'] for x in console)))} "
            f"(pump per session: {median(console, 'frames_out'):.0f} frames "
            f"in {median(console, 'writes'):.0f} console writes of "
            f"{per_write(console):.0f} B on average); serve_console() "
            f"returned {handback(console)} after the host exited.")
        if "B0" in links:
            notes.append(
                f"- {baud} baud, {kind}, B0 (no `?baud`): "
                f"{median(links['B0'], 'rate'):.1f} samples/s; "
                f"serve_console() returned {handback(links['B0'])} after "
                f"the host exited.")
    return "\n".join(lines + [""] + notes) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bauds", default="115200,9600")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--doc")
    ap.add_argument("--context", default="")
    a = ap.parse_args()
    agent = os.path.join(a.build, "tests", "micropython", "mp_fake_agent")
    stream = os.path.join(a.build, "bench", "bench_console_stream")
    for path in (agent, stream):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench_console: {path} is not built")
    seconds, repeats = (2, 1) if a.quick else (a.seconds, a.repeats)
    bauds = [115200] if a.quick else [int(b) for b in a.bauds.split(",")]
    results = {(b, k): run_case(agent, stream, b, k, seconds, repeats)
               for b in bauds for k in STREAMS}
    text = section(a.context, results, seconds, repeats)
    print(text)
    if a.doc:
        write_section(a.doc, "repl-agent",
                      "The agent over the console against its own UART", text)


if __name__ == "__main__":
    main()
