"""`gcmon record --csv` (libgcmon, the C client) over the faulty serial
line of test_link_faults.py, in the same scenarios:

    gcmond --uart  <-pty->  faultlink relay (faults both ways)  <-pty->  gcmon record
    gcmond --listen 127.0.0.1  <-- clean TCP: the reference

The line starts clean until the first sample is written (the CLI's first
connection is deliberately not retried), then degrades; after the faulty
period it behaves again for a few seconds and the recorder is stopped with
SIGTERM. Checks:

  - every `sample` row of the CSV equals, column for column, the daemon's
    own copy of that seq fetched afterwards over clean TCP;
  - the rows are one contiguous seq run with no `gap` row (nothing the
    daemon still retained is given up) and no `restart` row;
  - every event frame that crossed the line undamaged is in the CSV
    (recovery at the next good frame), per the relay's ledger;
  - both ends counted the damage: the recorder's link line and gcmond's
    session-close line.

Run by ctest once per scenario: GCMON_PYTHON test_link_faults_cli.py SCENARIO
"""
import csv
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import gcmonwire as w
import gcmon_pb2 as pb
import report
from faultlink import Faults
from test_link_faults import (SCENARIOS, daemon_link_stats, noise,
                              reference_history, start_scenario)

GCMON, GCMOND, PREFIX = None, None, []

COLUMNS = ["seq", "uptime_us", "gc.mem_alloc", "gc.mem_free", "gc.threshold",
           "gc.enabled", "gc.collections", "gc.largest_free", "sys_total",
           "sys_heap.total", "sys_heap.used", "sys_heap.free",
           "sys_page.total", "sys_page.used", "sys_page.free",
           "sys_mmz.total", "sys_mmz.used", "sys_mmz.free"]


def as_row(s):
    """A Sample as the CSV writes it."""
    v = [s.seq, s.uptime_us, s.gc.mem_alloc, s.gc.mem_free, s.gc.threshold,
         int(s.gc.enabled), s.gc.collections, s.gc.largest_free, s.sys_total]
    for m in (s.sys_heap, s.sys_page, s.sys_mmz):
        v += [m.total, m.used, m.free]
    return [str(x) for x in v]


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def link_line(stderr):
    m = re.search(r"link: (\d+) frames in, (\d+) dropped \((\d+) crc\), "
                  r"(\d+) noise bytes, (\d+) reconnects?", stderr)
    if not m:
        raise AssertionError("no link line from gcmon record:\n" + stderr)
    return dict(zip(("frames", "dropped", "crc", "noise", "reconnects"),
                    map(int, m.groups())))


class CliLinkFaults(unittest.TestCase):
    scenario = None

    def test_scenario(self):
        cfg, link, d = start_scenario(self, self.scenario, GCMOND, PREFIX)
        interval = cfg.get("interval", 25)
        faulty_s = 4.0 * report.scale()
        settle_s = 15.0 if not report.slow() else 40.0  # at most
        cuts = cfg.get("cuts", [])
        down, up = cfg.get("down", Faults()), cfg.get("up", Faults())
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        out = os.path.join(tmp.name, "rec.csv")
        rec = subprocess.Popen(
            PREFIX + [GCMON, "-t", f"serial://{link.host_path}?baud=115200",
                      "--timeout", "1s", "record", "--csv", out],
            stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: rec.poll() is None and rec.kill())

        deadline = time.monotonic() + 15
        while not (os.path.exists(out) and len(read_rows(out)) > 0):
            self.assertIsNone(rec.poll(), rec.stderr.read() if rec.poll()
                              is not None else "")
            self.assertLess(time.monotonic(), deadline, "no first sample")
            time.sleep(0.05)

        link.set_faults(down=down, up=up)  # the line degrades
        slices = len(cuts) + 1
        for k in range(slices):
            time.sleep(faulty_s / slices)
            if k < len(cuts):
                mode, seconds = cuts[k]
                link.cut(seconds, mode)
        link.set_faults(down=Faults(), up=Faults())  # the link returns
        # until the file has caught up with the daemon (a reference client
        # on TCP follows the newest seq), at most settle_s
        ref = w.Client.tcp(d.port)
        self.addCleanup(ref.close)
        ref.hello()
        live = ref.call(subscribe=pb.SubscribeRequest()).subscribed
        t_back = time.monotonic()
        time.sleep(1.0)
        while time.monotonic() - t_back < settle_s:
            newest = ref.events(live.subscription, 1)[0].seq
            rows = read_rows(out)
            if rows and rows[-1]["event"] == "sample" and \
                    int(rows[-1]["seq"]) >= newest - 1:
                break
            ref.packets.clear()
            time.sleep(0.1)
        recovered_s = time.monotonic() - t_back
        ref.close()
        rec.send_signal(signal.SIGTERM)
        _, err = rec.communicate(timeout=30)
        self.assertEqual(0, rec.returncode, err)
        time.sleep(0.3)

        rows = read_rows(out)
        samples = [r for r in rows if r["event"] == "sample"]
        # gap and restart rows; collection records (the sim reports its
        # program's collections) are not the link's business
        others = [r for r in rows if r["event"] in ("gap", "restart")]
        seqs = [int(r["seq"]) for r in samples]
        first, last = seqs[0], seqs[-1]
        ref, newest = reference_history(d.port, first, last)
        self.assertEqual(0, d.stop(), d.log_text())
        dstats = daemon_link_stats(d.log_text())
        cstats = link_line(err)

        # 1. every row is the daemon's sample, column for column
        wrong = [r["seq"] for r in samples
                 if int(r["seq"]) not in ref
                 or [r[c] for c in COLUMNS] != as_row(ref[int(r["seq"])])]
        self.assertEqual([], wrong[:10], "rows that differ from the daemon")
        # 2. one contiguous run, nothing given up
        self.assertEqual([], [(r["event"], r["first"], r["last"])
                              for r in others][:10])
        self.assertEqual(list(range(first, last + 1)), seqs)
        self.assertGreaterEqual(last, newest - 2 * 1000.0 / interval,
                                "fell behind")
        # 3. every event that crossed undamaged was recorded
        recorded = set(seqs)
        missed = []
        for payload, damaged, _ in link.down.ledger.frames:
            p = pb.Packet()
            p.ParseFromString(payload)
            if (not damaged and p.WhichOneof("kind") == "event"
                    and first <= p.event.sample.seq <= last
                    and p.event.sample.seq not in recorded):
                missed.append(p.event.sample.seq)
        self.assertEqual([], missed[:10], "undamaged events not recorded")
        # 4. both ends counted what reached them
        down_damaged = sum(1 for f in link.down.ledger.frames if f[1])
        up_frames = link.up.ledger.frames
        up_damaged = sum(1 for f in up_frames if f[1])
        if noise(link.down) >= 3:
            self.assertGreater(cstats["dropped"] + cstats["noise"], 0)
        if noise(link.up) >= 3:
            self.assertGreater(dstats["drops"] + dstats["noise"], 0)
        self.assertGreaterEqual(dstats["frames"], len(up_frames) - up_damaged)
        # back-to-back hangups may fall in one reconnect's backoff
        if any(m == "hangup" for m, _ in cuts):
            self.assertGreaterEqual(cstats["reconnects"], 1)

        st = [link.down.stats, link.up.stats]
        amount = f"{down.describe()} down, {up.describe()} up"
        if cuts:
            amount += "; cuts " + ", ".join(f"{m} {s:g} s" for m, s in cuts)
        amount += (f"; {faulty_s:g} s at {interval} ms, 115200 baud: "
                   f"{sum(x['bits_flipped'] for x in st)} bits flipped, "
                   f"{sum(x['bytes_dropped'] for x in st)} bytes dropped, "
                   f"{sum(x['bytes_duplicated'] for x in st)} duplicated, "
                   f"{st[0]['console_lines']} console lines")
        observed = (
            f"{len(samples)} rows, seq {first}..{last} contiguous, 0 gaps, "
            f"caught up {recovered_s:.1f} s after the link returned, "
            f"0 corrupted; down: {len(link.down.ledger.frames)} frames, "
            f"{down_damaged} damaged, gcmon dropped {cstats['dropped']} "
            f"(crc {cstats['crc']}), {cstats['noise']} noise bytes, every "
            f"undamaged event recorded; up: {len(up_frames)} frames, "
            f"{up_damaged} damaged, gcmond dropped {dstats['drops']}; "
            f"{cstats['reconnects']} reconnects")
        print(f"{self.scenario}: {amount}\n  -> {observed}")
        report.row(f"link: {self.scenario}", "serial faults, gcmon record",
                   amount, observed)


if __name__ == "__main__":
    GCMOND, PREFIX = w.daemon_command_from_env()
    GCMON = os.environ["GCMON"]
    if len(sys.argv) < 2 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: test_link_faults_cli.py SCENARIO")
    CliLinkFaults.scenario = sys.argv.pop(1)
    unittest.main(verbosity=2)
