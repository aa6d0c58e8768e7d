#!/usr/bin/python3
"""Scrape latency of `gcmon export` with a fleet of boards, beside a
direct round trip to a board.

Starts --targets gcmond (sim source, distinct seeds, 1 s sampling) on
loopback ports: that many daemons, so the exporter holds that many
distinct target URIs, sessions and subscriptions, as with a real fleet.
Then one `gcmon export` serves them through /probe, and a second one lists
them all with -t for /metrics. Timed, each from a keep-alive HTTP
connection (Python's http.client, whose own cost is in the `/` row):

  - /probe of every board in turn, warm: answered from the cache;
  - /probe of every board at once, one thread and connection each: a
    burst, as when every scrape of a job falls in the same instant;
  - the first /probe of each board: connect, hello, an on-demand reading;
  - /metrics with every board in one page;
  - /probe of a board that stopped answering (SIGSTOP), still from the
    cache;
  - `/`, a static page: the floor of the HTTP path and the client;
  - `gcmon stat` as a process per reading (what a script polling boards
    pays), and libgcmon's get_sample on an open session (bench_rtt): what a
    scrape would cost if it asked the board instead of the cache.

It also counts the frames the exporter sent to the boards while the warm
scrapes ran (from the exporter's own gcmon_link_sent_frames_total): a
scrape served from the cache sends nothing.

    bench_export.py --gcmon G --gcmond D --rtt R [--targets 50]
                    [--rounds 20] [--quick] [--doc docs/performance.md]
                    [--context LINE]

Prints a Markdown section; with --doc, also writes it between
<!-- bench:export:begin --> and <!-- bench:export:end -->.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from docsection import write_section  # noqa: E402 (bench/ is on the path)


def quantile(values, q):
    v = sorted(values)
    i = max(1, min(len(v), int(q * len(v) + 0.5)))
    return v[i - 1]


def wait_for_line(path, pattern, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    with open(path) as f:
        raise RuntimeError(f"{proc.args[0]} did not start: {f.read()}")


class Process:
    """A child with stderr in a file; started, and waited for."""

    def __init__(self, argv, ready, workdir, name):
        self.log = os.path.join(workdir, name + ".log")
        with open(self.log, "w") as err:
            self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                         stderr=err)
        self.match = wait_for_line(self.log, ready, self.proc)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def start_daemon(gcmond, seed, workdir):
    p = Process([gcmond, "--source", "sim", "--seed", str(seed),
                 "--interval", "1000", "--listen", "127.0.0.1:0"],
                r"\(port (\d+)\)[\s\S]*sampling every", workdir,
                f"gcmond-{seed}")
    p.target = f"tcp://127.0.0.1:{p.match.group(1)}"
    return p


def start_exporter(gcmon, args, workdir, name):
    p = Process([gcmon, "export", "--listen", "127.0.0.1:0"] + args,
                r"http://([\d.]+):(\d+)/metrics", workdir, name)
    p.host, p.port = p.match.group(1), int(p.match.group(2))
    return p


def get(conn, path):
    """Seconds for one GET on a keep-alive connection, and the body."""
    t0 = time.perf_counter()
    conn.request("GET", path,
                 headers={"X-Prometheus-Scrape-Timeout-Seconds": "10"})
    r = conn.getresponse()
    body = r.read()
    dt = time.perf_counter() - t0
    if r.status != 200:
        raise RuntimeError(f"GET {path}: {r.status} {body[:200]!r}")
    return dt, body.decode()


def probe_path(target):
    return "/probe?" + urllib.parse.urlencode({"target": target})


def value(body, name):
    m = re.search(rf"^{name} (\S+)$", body, re.M)
    return float(m.group(1)) if m else None


def frames_sent(ex, targets):
    """The exporter's frames sent to each board, summed; every board must
    be answering (probe_success 1)."""
    conn = http.client.HTTPConnection(ex.host, ex.port, timeout=30)
    total = 0
    for target in targets:
        _, body = get(conn, probe_path(target))
        if value(body, "gcmon_probe_success") != 1:
            raise RuntimeError(f"{target} is not up:\n{body[:400]}")
        total += value(body, "gcmon_link_sent_frames_total")
    conn.close()
    return int(total)


def burst(ex, targets):
    """Every board's /probe at the same instant, a thread each; per-request
    seconds and the burst's wall time."""
    conns = [http.client.HTTPConnection(ex.host, ex.port, timeout=30)
             for _ in targets]
    for c in conns:
        c.connect()
    start = threading.Barrier(len(targets) + 1)
    lat = [0.0] * len(targets)

    def one(i):
        start.wait()
        lat[i] = get(conns[i], probe_path(targets[i]))[0]

    threads = [threading.Thread(target=one, args=(i,))
               for i in range(len(targets))]
    for th in threads:
        th.start()
    t0 = time.perf_counter()
    start.wait()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    for c in conns:
        c.close()
    return lat, wall


def stat_runs(gcmon, targets, runs):
    lat = []
    for i in range(runs):
        t0 = time.perf_counter()
        subprocess.run([gcmon, "-t", targets[i % len(targets)], "stat",
                        "--json"], check=True, capture_output=True)
        lat.append(time.perf_counter() - t0)
    return lat


def rtt(bench_rtt, target, calls):
    out = subprocess.run([bench_rtt, target, str(calls)], check=True,
                         capture_output=True, text=True).stdout
    kv = dict(x.split("=") for x in out.split())
    return {k: float(v) / 1e6 for k, v in kv.items() if k.endswith("_us")}


def row(what, n, p50, p99, mx):
    def ms(s):
        return f"{s * 1e3:.3f}"
    return f"| {what} | {n} | {ms(p50)} | {ms(p99)} | {ms(mx)} |"


def stats_row(what, lat):
    return row(what, len(lat), quantile(lat, 0.5), quantile(lat, 0.99),
               max(lat))


def measure(a, workdir):
    daemons, exporters = [], []
    try:
        for i in range(a.targets):
            daemons.append(start_daemon(a.gcmond, 1000 + i, workdir))
        targets = [d.target for d in daemons]
        ex = start_exporter(a.gcmon, [], workdir, "export-probe")
        exporters.append(ex)
        listed = [arg for x in targets for arg in ("-t", x)]
        ex_listed = start_exporter(a.gcmon, listed, workdir, "export-listed")
        exporters.append(ex_listed)

        # First scrape of each board: connects on demand.
        conn = http.client.HTTPConnection(ex.host, ex.port, timeout=30)
        cold, size = [], 0
        for target in targets:
            dt, body = get(conn, probe_path(target))
            cold.append(dt)
            size = len(body.encode())
        time.sleep(1.5)  # every subscription has delivered samples

        sent_before = frames_sent(ex, targets)
        warm = []
        for _ in range(a.rounds):
            for target in targets:
                warm.append(get(conn, probe_path(target))[0])
        bursts, walls = [], []
        for _ in range(a.rounds):
            lat, wall = burst(ex, targets)
            bursts += lat
            walls.append(wall)
        sent_after = frames_sent(ex, targets)

        index = [get(conn, "/")[0] for _ in range(len(warm) // 5 or 1)]

        # A board that stops answering (SIGSTOP: the socket stays open, no
        # sample comes): its scrapes still answer at once, from the cache.
        daemons[-1].proc.send_signal(signal.SIGSTOP)
        try:
            hung = [get(conn, probe_path(targets[-1]))[0]
                    for _ in range(a.rounds)]
        finally:
            daemons[-1].proc.send_signal(signal.SIGCONT)
        conn.close()

        lconn = http.client.HTTPConnection(ex_listed.host, ex_listed.port,
                                           timeout=30)
        wait_deadline = time.monotonic() + 20
        while True:  # every listed board up before timing the page
            _, page = get(lconn, "/metrics")
            up = len(re.findall(r"^gcmon_probe_success\{.*\} 1$", page, re.M))
            if up == len(targets) or time.monotonic() > wait_deadline:
                break
            time.sleep(0.2)
        page_lat = [get(lconn, "/metrics")[0] for _ in range(a.rounds)]
        page_size = len(page.encode())
        lconn.close()

        stat = stat_runs(a.gcmon, targets, a.stat_runs)
        direct = rtt(a.rtt, targets[0], a.rtt_calls)
    finally:
        for p in exporters + daemons:
            p.stop()
    n = len(targets)
    lines = [
        "| what | requests | p50 ms | p99 ms | max ms |",
        "|---|--:|--:|--:|--:|",
        stats_row(f"`/probe`, {n} boards in turn, warm (from the cache)",
                  warm),
        stats_row(f"`/probe`, {n} boards at once (a burst), each request",
                  bursts),
        stats_row(f"whole burst of {n} `/probe`s, first sent to last "
                  f"answered", walls),
        stats_row("`/probe`, first scrape of a board (connect, hello, "
                  "reading)", cold),
        stats_row(f"`/metrics` listing {n} boards in one page", page_lat),
        stats_row("`/probe` of a board that stopped answering (SIGSTOP)",
                  hung),
        stats_row("`/`, a static page (HTTP and client floor)", index),
        stats_row("`gcmon stat --json`, a process per reading", stat),
        row("libgcmon `get_sample` on an open session (bench_rtt)",
            a.rtt_calls, direct["p50_us"], direct["p99_us"],
            direct["max_us"]),
        "",
        f"{n} gcmond (sim, 1 s sampling) on loopback, one exporter holding "
        f"{n} sessions. Frames the exporter sent to the boards during the "
        f"{len(warm) + len(bursts)} timed `/probe` scrapes: "
        f"{sent_after - sent_before}. One `/probe` answer is {size} bytes; "
        f"the {n}-board `/metrics` page is {page_size} bytes.",
    ]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gcmon", required=True)
    ap.add_argument("--gcmond", required=True)
    ap.add_argument("--rtt", required=True, help="bench_rtt")
    ap.add_argument("--targets", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--stat-runs", type=int, default=50)
    ap.add_argument("--rtt-calls", type=int, default=1000)
    ap.add_argument("--quick", action="store_true",
                    help="5 boards, 3 rounds: checks that it runs")
    ap.add_argument("--doc", help="write the section into this file")
    ap.add_argument("--context", default="",
                    help="a line saying where and when (first in the section)")
    a = ap.parse_args()
    if a.quick:
        a.targets, a.rounds, a.stat_runs, a.rtt_calls = 5, 3, 5, 50
    workdir = tempfile.mkdtemp(prefix="gcmon-bench-export-")
    try:
        section = (a.context + "\n\n" if a.context else "") + \
            measure(a, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.stdout.write(section)
    if a.doc:
        write_section(a.doc, "export", "Scraping through gcmon export", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
