"""gcmond over a serial line that flips bits, drops, duplicates, mixes in
console text and gets cut, with a recording client on the other end.

    gcmond --uart  <-pty->  faultlink relay (faults both ways)  <-pty->  client
    gcmond --listen 127.0.0.1  <-- clean TCP: the reference

Each scenario starts clean until the first sample arrives, records for a
while through the faults, then lets the link behave (the link "returns")
and checks:

  - every sample the client accepted equals the daemon's own copy, fetched
    afterwards over the clean TCP connection (zero corrupted samples);
  - the client accepted only frames the daemon sent, and every frame that
    crossed the link undamaged (recovery at the next good frame), checked
    against the relay's ledger of what it damaged;
  - the daemon received every request frame that crossed undamaged, and
    counted the damaged ones (its session-close line), as did the client;
  - the record is one contiguous seq run from the first sample to the
    newest, holes filled from history and cuts bridged by resubscribing
    with from_seq.

Run by ctest once per scenario: GCMON_PYTHON test_link_faults.py SCENARIO.
The client here is the Python recorder (recorder.py); the C client's
`gcmon record` is checked the same way by test_link_faults_cli.py.
"""
import re
import sys
import time
import unittest
import zlib

import gcmonwire as w
import gcmon_pb2 as pb
import report
from faultlink import Faults, FaultyLink
from recorder import Recorder

GCMOND, PREFIX = None, []

# name: faults down (daemon -> host), faults up, interval ms, samples per
# history request, cuts [(mode, seconds)]
SCENARIOS = {
    "ber-1e-4": dict(down=Faults(ber=1e-4), up=Faults(ber=1e-4)),
    "ber-1e-3": dict(down=Faults(ber=1e-3), up=Faults(ber=1e-3),
                     interval=50, per_request=1),
    "drop-dup": dict(down=Faults(drop=1e-3, dup=1e-3),
                     up=Faults(drop=1e-3, dup=1e-3)),
    "console": dict(down=Faults(console=2e-3)),
    "cut-silent": dict(cuts=[("silent", 1.0)] * 3),
    "cut-hangup": dict(cuts=[("hangup", 1.0)] * 2),
    "everything": dict(down=Faults(ber=3e-4, drop=3e-4, dup=3e-4,
                                   console=1e-3),
                       up=Faults(ber=3e-4, drop=3e-4, dup=3e-4),
                       cuts=[("silent", 1.0), ("hangup", 1.0)], interval=50),
}


def daemon_link_stats(log):
    """The UART session's counters from gcmond's session-close line."""
    m = re.search(r"session closed: uart:\S+ \(frames (\d+), drops (\d+) "
                  r"\[crc (\d+) short (\d+) oversize (\d+) escape (\d+) "
                  r"undecodable (\d+)\], noise bytes (\d+)", log)
    if not m:
        raise AssertionError("no UART session-close line:\n" + log)
    keys = ("frames", "drops", "crc", "short", "oversize", "escape",
            "undecodable", "noise")
    return dict(zip(keys, map(int, m.groups())))


def reference_history(port, first, last):
    """Samples first..last as the daemon keeps them, over clean TCP."""
    c = w.Client.tcp(port)
    try:
        c.hello()
        newest = c.call(subscribe=pb.SubscribeRequest(
            interval_ms=86400000)).subscribed.first_seq - 1
        out = {}
        seqs = list(range(first, last + 1, 4))
        for i in range(0, len(seqs), 32):  # pipelined, 32 at a time
            ids = [c.request(get_history=pb.GetHistoryRequest(
                from_seq=s, max_count=4)) for s in seqs[i:i + 32]]
            for rid in ids:
                for s in c.response(rid).history.samples:
                    out[s.seq] = s
        return out, newest
    finally:
        c.close()


def match_ledger(frames, accepted):
    """Accepted payloads against the relay's ledger of sent frames.
    Returns (accepted but never sent, undamaged but not accepted)."""
    i, matched, unknown = 0, set(), 0
    for p in accepted:
        j = i
        while j < len(frames) and frames[j][0] != p:
            j += 1
        if j == len(frames):
            unknown += 1
            continue
        matched.add(j)
        i = j + 1
    last = max(matched) if matched else -1
    missed = [k for k in range(last + 1)
              if not frames[k][1] and k not in matched]
    return unknown, missed


def noise(direction):
    st = direction.stats
    return (st["bits_flipped"] + st["bytes_dropped"] + st["bytes_duplicated"]
            + st["console_lines"])


def start_scenario(test, scenario, gcmond, prefix):
    """The faulty line (clean until told otherwise) and gcmond serving its
    board end; both are stopped when the test ends. Returns (config of the
    scenario, link, daemon)."""
    cfg = SCENARIOS[scenario]
    link = FaultyLink(seed=zlib.crc32(scenario.encode()))
    link.start()
    test.addCleanup(link.stop)
    d = w.Daemon(gcmond, "--uart", link.board_path, "--interval",
                 str(cfg.get("interval", 25)), "--history", "16384",
                 "--seed", "7", prefix=prefix)
    test.addCleanup(lambda: d.proc.poll() is None and d.stop())
    return cfg, link, d


class LinkFaults(unittest.TestCase):
    scenario = None

    def test_scenario(self):
        cfg, link, d = start_scenario(self, self.scenario, GCMOND, PREFIX)
        interval = cfg.get("interval", 25)
        faulty_s = 4.0 * report.scale()
        settle_s = 10.0 if not report.slow() else 30.0  # at most
        cuts = cfg.get("cuts", [])
        down, up = cfg.get("down", Faults()), cfg.get("up", Faults())

        rec = Recorder(link.host_path, interval,
                       history_per_request=cfg.get("per_request", 4))
        self.addCleanup(rec.close)
        # a clean start (hello, subscribe), then the line degrades
        deadline = time.monotonic() + 15
        while not rec.samples:
            self.assertLess(time.monotonic(), deadline, "no first sample")
            rec.run(0.05)
        link.set_faults(down=down, up=up)
        # cuts spread evenly over the faulty period
        slices = len(cuts) + 1
        for k in range(slices):
            rec.run(faulty_s / slices)
            if k < len(cuts):
                mode, seconds = cuts[k]
                link.cut(seconds, mode)
        link.set_faults(down=Faults(), up=Faults())  # the link returns
        t_back = time.monotonic()
        rec.run(1.0)
        while not rec.caught_up() and time.monotonic() - t_back < settle_s:
            rec.run(0.1)
        recovered_s = time.monotonic() - t_back
        rec.close()
        time.sleep(0.3)  # let the relay deliver what it holds

        first, last = min(rec.samples), max(rec.samples)
        ref, newest = reference_history(d.port, first, last)
        self.assertEqual(0, d.stop(), d.log_text())
        dstats = daemon_link_stats(d.log_text())

        # 1. zero corrupted samples: each accepted one is the daemon's own
        wrong = [s for s, v in rec.samples.items() if ref.get(s) != v]
        self.assertEqual([], wrong[:10], "samples that differ from the daemon")
        # 2. the record is one contiguous run up to (nearly) the newest
        self.assertEqual([], rec.holes())
        self.assertEqual([], rec.unrecoverable)
        per_s = 1000.0 / interval
        self.assertEqual(1, first, "the record starts at the first sample")
        self.assertGreaterEqual(last, newest - 1.5 * per_s, "fell behind")
        self.assertEqual(1, len(rec.run_ids))
        # 3. frames: only what was sent, and everything sent undamaged
        unknown, missed = match_ledger(link.down.ledger.frames, rec.payloads)
        self.assertEqual(0, unknown, "accepted frames the daemon never sent")
        self.assertEqual([], missed[:10], "undamaged frames not accepted")
        up_frames = link.up.ledger.frames
        up_damaged = sum(1 for f in up_frames if f[1])
        down_damaged = sum(1 for f in link.down.ledger.frames if f[1])
        self.assertGreaterEqual(dstats["frames"], len(up_frames) - up_damaged)
        self.assertLessEqual(dstats["frames"], len(up_frames))
        # damage that reaches a receiver (not whole frames lost in a cut)
        # must show in its counters
        if noise(link.up) >= 3:
            self.assertGreater(dstats["drops"] + dstats["noise"], 0)
        if noise(link.down) >= 3:
            self.assertGreater(rec.frames_bad, 0)
        if cuts:
            self.assertEqual(len(cuts), len(link.cuts))
        hangups = sum(1 for m, _ in cuts if m == "hangup")
        self.assertEqual(hangups, rec.reopens)  # it never waits: no backoff

        amount = f"{down.describe()} down, {up.describe()} up"
        if cuts:
            amount += "; cuts " + ", ".join(f"{m} {s:g} s" for m, s in cuts)
        st = [link.down.stats, link.up.stats]
        amount += (f"; {faulty_s:g} s at {interval} ms, 115200 baud: "
                   f"{sum(x['bits_flipped'] for x in st)} bits flipped, "
                   f"{sum(x['bytes_dropped'] for x in st)} bytes dropped, "
                   f"{sum(x['bytes_duplicated'] for x in st)} duplicated, "
                   f"{st[0]['console_lines']} console lines")
        observed = (
            f"{len(rec.samples)} samples, seq {first}..{last} contiguous "
            f"{recovered_s:.1f} s after the link returned, "
            f"0 corrupted; down: {len(link.down.ledger.frames)} frames, "
            f"{down_damaged} damaged, client rejected {rec.frames_bad} runs, "
            f"every undamaged frame accepted; up: {len(up_frames)} frames, "
            f"{up_damaged} damaged, daemon dropped {dstats['drops']} "
            f"(crc {dstats['crc']}, short {dstats['short']}, escape "
            f"{dstats['escape']}); {rec.from_history} samples refilled from "
            f"history, {rec.resubscribes} resubscribes, {rec.unsubscribes} "
            f"unsubscribes, {rec.reopens} reopens")
        print(f"{self.scenario}: {amount}\n  -> {observed}")
        report.row(f"link: {self.scenario}", "serial faults, Python client",
                   amount, observed)


if __name__ == "__main__":
    GCMOND, PREFIX = w.daemon_command_from_env()
    if len(sys.argv) < 2 or sys.argv[1] not in SCENARIOS:
        sys.exit("usage: test_link_faults.py SCENARIO (" +
                 ", ".join(SCENARIOS) + ")")
    LinkFaults.scenario = sys.argv.pop(1)
    unittest.main(verbosity=2)
