"""repl:// end to end against a real MicroPython built with the gcmon module.

Runs only when GCMON_MICROPYTHON names such a binary whose REPL has a raw
mode (the unix port from v1.27 on; exit 77 = skipped otherwise, as
test_mp_e2e). The binary runs behind a pty pair (socat), the way a board's
USB console reaches the host. Every CLI command goes over repl:// twice:

  agent  `import gcmon` works: gcmon calls gcmon.serve_console() and
         speaks the framed protocol on the console
  stock  the same firmware with `import gcmon` made to fail (an
         __import__ hook typed at the REPL): the polling adapter

After every command the friendly REPL answers 1+1 and a variable set
before the first one still holds its value. `gcmon run` too: a script's
output on the terminal and its samples in the CSV (agent: beside
serve_console; stock: the sampler), and, with the agent, Ctrl-C on a
script that would run forever.

    GCMON_MICROPYTHON=/path/to/micropython ctest -R test_mp_repl
"""
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "repl"))
import mprepl  # noqa: E402
from mprepl import GCMON, PREFIX, gcmon  # noqa: E402
from test_repl_run import FOREVER, GROWS  # noqa: E402  (run's scripts)

BINARY = os.environ.get("GCMON_MICROPYTHON", "")
KEEP = "'state before gcmon'"
HIDE = ("import builtins\r_hide_imp=builtins.__import__\r"
        "exec(\"def _hide_no(n,*a):\\n if n=='gcmon': raise ImportError(n)"
        "\\n return _hide_imp(n,*a)\")\rbuiltins.__import__=_hide_no\r")


class Board:
    """The MicroPython binary on a pty, as a board on its USB console."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "ttyACM0")
        self.proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.path}",
             f"EXEC:{BINARY},pty,raw,echo=0,stderr"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.path):
            if time.monotonic() > deadline:
                raise RuntimeError("socat made no pty")
            time.sleep(0.05)
        time.sleep(0.3)  # the banner

    def type(self, line):
        with mprepl.RawRepl(self.path) as r:
            return r.friendly(line)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Over:
    """Every command over repl://; a subclass says agent or stock."""
    MODE = ""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.board = Board(cls.dir.name)
        cls.target = "repl://" + cls.board.path
        if cls.MODE == "stock":
            with mprepl.RawRepl(cls.board.path) as r:
                r.write(b"\r\x03\x02")
                r.read_until(b">>> ")
                r.drain(0.05)
                for line in HIDE.split("\r")[:-1]:
                    r.write(line.encode() + b"\r")
                    r.read_until(b">>> ")
        cls.board.type(f"keep = {KEEP}")

    @classmethod
    def tearDownClass(cls):
        cls.board.stop()
        cls.dir.cleanup()

    def tearDown(self):
        self.assertEqual(self.board.type("1+1"), "2")
        self.assertEqual(self.board.type("keep"), KEEP)

    def run_ok(self, *args):
        p = gcmon("-t", self.target, *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def json_of(self, *args):
        return json.loads(self.run_ok(*args, "--json"))

    def test_info_says_the_mode(self):
        info = self.json_of("info")
        self.assertEqual(info["console"]["mode"], self.MODE)
        self.assertTrue(info["control"])

    def test_stat_equals_the_repl(self):
        self.board.type("import gc; gc.disable()")
        try:
            before = mprepl.gc_values(self.board.path)
            s = self.json_of("stat")
            after = mprepl.gc_values(self.board.path)
        finally:
            self.board.type("gc.enable()")
        gc = s["gc"]
        self.assertFalse(gc["enabled"])
        self.assertEqual(gc["threshold"], after["threshold"])
        self.assertEqual(gc["mem_alloc"] + gc["mem_free"],
                         after["mem_alloc"] + after["mem_free"])
        self.assertLessEqual(before["mem_alloc"], gc["mem_alloc"])
        self.assertLessEqual(gc["mem_alloc"], after["mem_alloc"])

    def test_control_changes_the_vm(self):
        try:
            self.assertIn("64.00 KiB", self.run_ok("threshold", "64K"))
            self.assertEqual(mprepl.gc_values(self.board.path)["threshold"],
                             65536)
            self.run_ok("disable")
            self.assertFalse(mprepl.gc_values(self.board.path)["enabled"])
            self.run_ok("enable")
            self.assertTrue(mprepl.gc_values(self.board.path)["enabled"])
        finally:
            gcmon("-t", self.target, "enable")
            gcmon("-t", self.target, "threshold", "off")
        self.board.type("import gc; gc.disable()")
        self.board.type("junk = [bytes(200) for i in range(100)]")
        self.board.type("junk = None")
        full = mprepl.gc_values(self.board.path)["mem_alloc"]
        result = self.json_of("collect")
        self.run_ok("enable")
        self.assertGreater(result["freed_bytes"], 20000, result)
        self.assertLess(mprepl.gc_values(self.board.path)["mem_alloc"],
                        full - 20000)

    def test_record_watch_history(self):
        out = os.path.join(self.dir.name, f"rec-{self.MODE}.csv")
        p = subprocess.Popen(PREFIX + [GCMON, "-t", self.target, "record",
                                       "--csv", out, "--interval", "100ms"],
                             stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0, err)
        with open(out) as f:
            seqs = [int(r["seq"]) for r in csv.DictReader(f)
                    if r["event"] == "sample"]
        self.assertGreaterEqual(len(seqs), 20, err)
        self.assertEqual(len({b - a for a, b in zip(seqs, seqs[1:])}), 1)
        p = subprocess.Popen(PREFIX + [GCMON, "-t", self.target, "watch",
                                       "--interval", "100ms"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        text, err = p.communicate(timeout=10)
        rows = [l for l in text.splitlines() if l.strip()[:1].isdigit()]
        self.assertGreaterEqual(len(rows), 5, text + err)
        self.assertEqual(gcmon("-t", self.target, "history", "--csv")
                         .returncode, 0)

    def test_diagnose_and_alarms(self):
        p = gcmon("-t", self.target, "diagnose", "--for", "2s", "--json")
        self.assertIn(p.returncode, (0, 3), p.stderr)
        self.assertIn("pools", json.loads(p.stdout))
        if self.MODE != "agent":
            return  # alarms live on the board: the agent's
        # rules outlive the session that set them (the module keeps the
        # instance serve_console() started while it holds rules)
        rule = self.json_of("alarm", "add", "gc.free", "below", "1K")
        listed = self.json_of("alarm", "list")["alarms"]
        self.assertEqual([a["id"] for a in listed], [rule["id"]], listed)
        self.run_ok("alarm", "rm", str(rule["id"]))
        self.assertEqual(self.json_of("alarm", "list")["alarms"], [])

    def test_export_probe(self):
        # a serial target is probed only when listed with -t too
        want = r"gcmon_gc_allocated_bytes(\{[^}]*\})? \d+"
        body = mprepl.scrape_exporter(self.target, "/probe?target={target}",
                                      want, timeout=15)
        self.assertRegex(body, want)

    def script(self, text):
        path = os.path.join(self.dir.name, "script.py")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_run_prints_and_samples(self):
        out = os.path.join(self.dir.name, "run.csv")
        p = gcmon("-t", self.target, "run", "--csv", out, "--interval",
                  "100ms", self.script(GROWS))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([l for l in p.stdout.splitlines() if l],
                         [f"step {i} {i + 1}" for i in range(10)] + ["done"])
        self.assertIn("agent over the console" if self.MODE == "agent"
                      else "(sampler: thread", p.stderr)
        with open(out) as f:
            rows = [r for r in csv.DictReader(f) if r["event"] == "sample"]
        seq = [int(r["seq"]) for r in rows]
        self.assertGreaterEqual(len(seq), 6, p.stderr)
        self.assertEqual(seq, list(range(seq[0], seq[0] + len(seq))))
        alloc = [int(r["gc.mem_alloc"]) for r in rows]
        self.assertGreater(alloc[-1], alloc[0] + 10000,
                           "the samples follow the script's allocations")

    def test_run_ctrl_c(self):
        if self.MODE != "agent":
            # The unix port reads no stdin while code runs, so a Ctrl-C
            # byte stops nothing there (a board's USB CDC driver raises
            # KeyboardInterrupt on it; tests/repl checks stock run's Ctrl-C
            # on the WebAssembly REPL). With the agent the pump reads it.
            self.skipTest("the unix port's raw REPL ignores Ctrl-C bytes")
        p = subprocess.Popen(PREFIX + [GCMON, "-t", self.target, "run",
                                       self.script(FOREVER)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("tick", out)
        self.assertGreater(int(self.board.type("n")), 10)


class Agent(Over, unittest.TestCase):
    MODE = "agent"


class Stock(Over, unittest.TestCase):
    MODE = "stock"


if __name__ == "__main__":
    if not GCMON:
        sys.exit("GCMON is not set")
    if not BINARY or not os.access(BINARY, os.X_OK):
        print("skipped: GCMON_MICROPYTHON names no MicroPython binary")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as d:
        b = Board(d)
        try:
            with mprepl.RawRepl(b.path) as r:
                r.enter_raw()
                r.leave_raw()
        except TimeoutError:
            print("skipped: this MicroPython has no raw REPL (before v1.27)")
            sys.exit(77)
        finally:
            b.stop()
    unittest.main(verbosity=2)
