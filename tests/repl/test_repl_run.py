"""gcmon run over repl:// against the real MicroPython REPL (mprepl): the
script's output reaches the terminal without the sampler's lines, the
readings land in the CSV while it runs, Ctrl-C stops a script that would
run forever, and the REPL is usable afterwards with the script's state.

    GCMON=<gcmon> python3 test_repl_run.py
"""
import csv
import os
import signal
import subprocess
import tempfile
import time
import unittest

import mprepl

from mprepl import GCMON, PREFIX

GROWS = """\
import time
buf = []
for i in range(10):
    buf.append(bytes(2000))
    print("step", i, len(buf))
    time.sleep_ms(100)
print("done")
"""

FOREVER = """\
import time
n = 0
while True:
    n += 1
    print("tick", n)
    time.sleep_ms(50)
"""


class Run(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.board = mprepl.MicroRepl(cls.dir.name)
        cls.target = "repl://" + cls.board.path

    @classmethod
    def tearDownClass(cls):
        cls.board.stop()
        cls.dir.cleanup()

    def script(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def rows(self, path):
        with open(path) as f:
            return list(csv.DictReader(f))

    def test_output_to_the_terminal_readings_to_the_csv(self):
        out = os.path.join(self.dir.name, "grows.csv")
        p = subprocess.run(PREFIX + [GCMON, "-t", self.target, "run",
                                     self.script("grows.py", GROWS),
                                     "--csv", out, "--interval", "150",
                                     "--status"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines, [f"step {i} {i + 1}" for i in range(10)] + ["done"])
        self.assertNotIn("\x1e", p.stdout)
        self.assertRegex(p.stderr, r"run: \d+ samples \(sampler: \w+, \d+ B")
        rows = self.rows(out)
        self.assertGreaterEqual(len(rows), 4)
        status = [l for l in p.stderr.splitlines() if l.startswith("gcmon: #")]
        self.assertEqual(len(status), len(rows), p.stderr)
        self.assertRegex(status[-1], r"gcmon: #\d+  gc \S+ \S+ used, ")
        self.assertEqual([int(r["seq"]) for r in rows],
                         list(range(1, len(rows) + 1)))
        alloc = [int(r["gc.mem_alloc"]) for r in rows]
        self.assertGreater(max(alloc), alloc[0] + 10000,
                           "the script's 20 KB show in the readings")
        with mprepl.RawRepl(self.board.path) as r:
            self.assertEqual(r.friendly("len(buf)"), "10")
            self.assertEqual(r.friendly("[n for n in globals() if "
                                        "n.startswith('_gcmon')]"), "[]")

    def test_ctrl_c_stops_the_script_and_leaves_the_repl_working(self):
        out = os.path.join(self.dir.name, "forever.csv")
        p = subprocess.Popen(PREFIX + [GCMON, "-t", self.target, "run",
                                       self.script("forever.py", FOREVER),
                                       "--csv", out, "--interval", "100"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        first = p.stdout.readline()
        self.assertEqual(first.strip(), "tick 1")
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        rest, err = p.communicate(timeout=20)
        self.assertEqual(p.returncode, 0, err)
        self.assertGreater(len(self.rows(out)), 3)
        with mprepl.RawRepl(self.board.path) as r:
            self.assertEqual(r.friendly("1+1"), "2")
            n = int(r.friendly("n"))
            self.assertGreaterEqual(n, len(rest.splitlines()))
            time.sleep(0.3)
            self.assertEqual(int(r.friendly("n")), n, "the script is stopped")


if __name__ == "__main__":
    mprepl.test_main()
