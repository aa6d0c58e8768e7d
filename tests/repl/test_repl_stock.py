"""gcmon over repl:// against a real MicroPython REPL (the WebAssembly port
behind a pty), stock firmware: no agent on the board. Every command, each
checked against the REPL read by hand (mprepl.RawRepl); afterwards the
friendly REPL still answers and the program's state is intact.

    GCMON=<gcmon> python3 test_repl_stock.py
GCMON_REPL_RECORD_S sets the record run (default 3 s; the spec'd run is 10).
Exits 77 (skipped) when node, socat or the npm package are missing.
"""
import csv
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

import mprepl

from mprepl import GCMON, PREFIX, SLOW

RECORD_S = float(os.environ.get("GCMON_REPL_RECORD_S", "3"))


def gcmon(*args, timeout=30, check=True):
    p = mprepl.gcmon(*args, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"gcmon {' '.join(args)}: exit {p.returncode}: "
                             f"{p.stderr.strip()}")
    return p


class StockRepl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.board = mprepl.MicroRepl(cls.dir.name)
        cls.target = "repl://" + cls.board.path
        with mprepl.RawRepl(cls.board.path) as r:
            r.friendly("keep = 'state before gcmon'")

    @classmethod
    def tearDownClass(cls):
        cls.board.stop()
        cls.dir.cleanup()

    def json_of(self, *args):
        return json.loads(gcmon("-t", self.target, *args, "--json").stdout)

    def tearDown(self):
        # After every command: the friendly REPL answers, state intact.
        with mprepl.RawRepl(self.board.path) as r:
            self.assertEqual(r.friendly("1+1"), "2")
            self.assertEqual(r.friendly("keep"), "'state before gcmon'")

    def test_info_says_stock_mode_and_costs(self):
        info = self.json_of("info")
        self.assertEqual(info["source"], "micropython-repl")
        self.assertTrue(info["control"])
        console = info["console"]
        self.assertEqual(console["mode"], "stock")
        self.assertGreater(console["heap_per_reading"], 0)
        self.assertGreater(console["max_readings_per_s"], 0)
        text = gcmon("-t", self.target, "info").stdout
        self.assertIn("mode                 stock", text)
        self.assertIn("board heap / reading", text)

    def test_stat_equals_the_repl(self):
        # A quiescent point: no automatic collection between the readings.
        with mprepl.RawRepl(self.board.path) as r:
            r.friendly("import gc; gc.disable()")
        try:
            before = mprepl.gc_values(self.board.path)
            s = self.json_of("stat")
            after = mprepl.gc_values(self.board.path)
        finally:
            with mprepl.RawRepl(self.board.path) as r:
                r.friendly("gc.enable()")
        self.assertFalse(s["gc"]["enabled"])
        after["enabled"] = True
        gc = s["gc"]
        self.assertEqual(gc["threshold"], after["threshold"])
        self.assertEqual(gc["enabled"], not after["enabled"])
        self.assertEqual(gc["mem_alloc"] + gc["mem_free"],
                         after["mem_alloc"] + after["mem_free"])
        # Readers allocate too (compiling their snippet): gcmon's reading
        # lies between the two made by hand around it.
        self.assertLessEqual(before["mem_alloc"], gc["mem_alloc"])
        self.assertLessEqual(gc["mem_alloc"], after["mem_alloc"])
        for absent in ("sys_heap", "sys_page", "sys_mmz"):
            self.assertNotIn(absent, s)

    def test_control_changes_the_vm(self):
        try:
            out = gcmon("-t", self.target, "threshold", "64K").stdout
            self.assertIn("64.00 KiB", out)
            self.assertEqual(mprepl.gc_values(self.board.path)["threshold"], 65536)
            gcmon("-t", self.target, "disable")
            self.assertFalse(mprepl.gc_values(self.board.path)["enabled"])
            gcmon("-t", self.target, "enable")
            self.assertTrue(mprepl.gc_values(self.board.path)["enabled"])
            gcmon("-t", self.target, "threshold", "off")
            self.assertEqual(mprepl.gc_values(self.board.path)["threshold"], -1)
        finally:
            gcmon("-t", self.target, "enable")
            gcmon("-t", self.target, "threshold", "16K")
        with mprepl.RawRepl(self.board.path) as r:
            r.friendly("import gc; gc.disable()")
            r.friendly("junk = [bytes(200) for i in range(100)]")
            r.friendly("junk = None")
        full = mprepl.gc_values(self.board.path)["mem_alloc"]
        result = self.json_of("collect")
        gcmon("-t", self.target, "enable")
        self.assertGreater(result["freed_bytes"], 20000, result)
        self.assertLess(mprepl.gc_values(self.board.path)["mem_alloc"],
                        full - 20000)

    def test_record_gives_a_contiguous_seq_run(self):
        out = os.path.join(self.dir.name, "rec.csv")
        p = subprocess.Popen(PREFIX + [GCMON, "-t", self.target, "record",
                                       "--csv", out, "--interval", "100ms"],
                             stderr=subprocess.PIPE, text=True)
        time.sleep(RECORD_S)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0, err)
        with open(out) as f:
            rows = list(csv.DictReader(f))
        kinds = {r["event"] for r in rows}
        self.assertEqual(kinds, {"sample"}, "no gap or restart rows")
        seqs = [int(r["seq"]) for r in rows]
        self.assertGreaterEqual(len(seqs), RECORD_S * 10 * 0.7 / SLOW)
        steps = {b - a for a, b in zip(seqs, seqs[1:])}
        self.assertEqual(len(steps), 1, f"seq steps {steps}")
        self.assertIn("0 gaps", err)

    def test_watch_and_history(self):
        p = subprocess.Popen(PREFIX + [GCMON, "-t", self.target, "watch",
                                       "--interval", "100ms"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(1.0 * SLOW)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=10 * SLOW)
        lines = [l for l in out.splitlines() if l.strip()[:1].isdigit()]
        self.assertGreaterEqual(len(lines), 5, out + err)
        # history: one connection's ring, empty when nothing subscribed
        h = gcmon("-t", self.target, "history", "--csv").stdout
        self.assertTrue(h.startswith("event,") or h.startswith("seq,") or h == "", h)

    def test_export_metrics(self):
        want = r"gcmon_gc_allocated_bytes\{[^}]*\} \d+"
        self.assertRegex(mprepl.scrape_exporter(self.target, "/metrics", want),
                         want)


if __name__ == "__main__":
    mprepl.test_main()
