"""What gcmon writes, as a user's tools see it: a write error is exit 1 and
one line (never a silent truncation), every JSON document survives jq 1.6
(Debian 12) with every integer exact (run_id is a hex string), piped
tables fit 80 columns and stay aligned, series rows carry the host time
(ISO 8601) as a last CSV column and a JSON field, and the small things a
daily user trips over: the granted interval said, nothing newer said,
plurals, progress on a terminal.

    GCMON=<gcmon> GCMOND=<gcmond> GCMON_PYTHON test_gcmon_output.py
"""
import csv
import datetime
import io
import json
import os
import pty
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import clitest as t


def run_to(path, *args, target, timeout=20):
    """gcmon with stdout going to path (/dev/full: a full disk)."""
    env = dict(os.environ, GCMON_TARGET=target)
    env.pop("GCMON_TOKEN", None)
    with open(path, "w") as out:
        return subprocess.run(t.PREFIX + [t.GCMON] + list(args), stdout=out,
                              stderr=subprocess.PIPE, text=True, env=env,
                              timeout=timeout)


def parse_iso(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class Output(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = t.Daemon(interval=20)
        cls.target = f"tcp://127.0.0.1:{cls.daemon.port}"
        c = cls.daemon.client()
        try:  # some history to read
            deadline = time.monotonic() + 20
            while len(t.history_by_seq(c)) < 20:
                assert time.monotonic() < deadline, "history did not fill"
                time.sleep(0.05)
        finally:
            c.close()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def gcmon(self, *args, check=0, **kw):
        return t.run(*args, target=self.target, check=check, **kw)

    def piped_lines(self, *args, n=4):
        """The first n lines of a stream command whose stdout is a pipe."""
        p = t.start(*args, target=self.target)
        lines = [p.stdout.readline() for _ in range(n)]
        rc, _, err = t.interrupt(p)
        self.assertEqual(0, rc, err)
        return lines, err

    # ---- write errors ---------------------------------------------------

    def test_every_command_is_exit_1_with_one_line_when_stdout_is_full(self):
        for args in (["stat"], ["info"], ["collect"], ["history", "--csv"],
                     ["history"], ["history", "--json"], ["threshold"],
                     ["enable"], ["stat", "--json"], ["--help"],
                     ["record", "--csv", "-"]):
            p = run_to("/dev/full", *args, target=self.target)
            self.assertEqual(1, p.returncode, (args, p.stderr))
            self.assertEqual(["gcmon: cannot write the output: No space "
                              "left on device"], p.stderr.splitlines(), args)

    def test_record_into_a_full_file_is_exit_1_naming_it_once(self):
        p = t.run("record", "--csv", "/dev/full", target=self.target)
        self.assertEqual(1, p.returncode)
        self.assertEqual(["gcmon: /dev/full: cannot write: No space left on "
                          "device"], p.stderr.splitlines())

    def test_piped_watch_into_a_full_disk_stops_with_exit_1(self):
        p = run_to("/dev/full", "watch", target=self.target)
        self.assertEqual(1, p.returncode, p.stderr)
        self.assertEqual(["gcmon: cannot write the output: No space left on "
                          "device"], p.stderr.splitlines())

    def test_a_reader_that_goes_away_is_not_an_error(self):
        sh = f"{' '.join(t.PREFIX + [t.GCMON])} watch | head -n 2 >/dev/null"
        p = subprocess.run(["bash", "-c", f"{sh}; echo ${{PIPESTATUS[0]}}"],
                           capture_output=True, text=True, timeout=20,
                           env=dict(os.environ, GCMON_TARGET=self.target))
        self.assertEqual("", p.stderr)
        self.assertEqual("0", p.stdout.strip())

    # ---- JSON through jq 1.6, ids as strings ----------------------------

    def assert_jq_exact(self, text, what):
        jq = subprocess.run(["jq", "-c", "."], input=text, capture_output=True,
                            text=True, timeout=10)
        self.assertEqual(0, jq.returncode, (what, jq.stderr))
        mine = [json.loads(ln) for ln in text.splitlines() if ln]
        theirs = [json.loads(ln) for ln in jq.stdout.splitlines() if ln]
        self.assertEqual(mine, theirs, what)  # every integer survived
        return mine

    def test_every_json_output_reads_the_same_through_jq(self):
        if not shutil.which("jq"):
            self.skipTest("jq is not installed")
        run_id = f"{self.daemon.run_id():016x}"
        docs = {}
        for args in (["info"], ["stat"], ["collect"], ["threshold"],
                     ["threshold", "64K"], ["threshold", "off"], ["enable"],
                     ["disable"], ["enable"], ["history"],
                     ["history", "--since", "3"]):
            out = self.gcmon(*args, "--json").stdout
            docs[" ".join(args)] = self.assert_jq_exact(out, args)
        lines, _ = self.piped_lines("watch", "--json")
        self.assert_jq_exact("".join(lines), "watch")
        lines, _ = self.piped_lines("record", "--json", "-")
        recs = self.assert_jq_exact("".join(lines), "record")
        self.assertEqual(run_id, docs["info"][0]["run_id"])
        self.assertEqual(run_id, docs["history"][0]["run_id"])
        self.assertTrue(all(s["run_id"] == run_id
                            for s in docs["history"][0]["samples"]))
        self.assertTrue(all(r["run_id"] == run_id for r in recs))
        # the same hex as the text output and the CSV
        self.assertRegex(self.gcmon("info").stdout, rf"run id\s+{run_id}\n")
        rows = list(csv.DictReader(io.StringIO(
            self.gcmon("history", "--csv").stdout)))
        self.assertEqual({run_id}, {r["run_id"] for r in rows})

    def test_a_64_bit_run_id_would_be_rounded_by_jq_as_a_number(self):
        # Why run_id is a string: jq 1.6 reads numbers as doubles.
        if not shutil.which("jq"):
            self.skipTest("jq is not installed")
        jq = subprocess.run(["jq", "-c", ".run_id"],
                            input='{"run_id":9227703044469825998}',
                            capture_output=True, text=True)
        self.assertNotEqual("9227703044469825998", jq.stdout.strip())

    # ---- tables ---------------------------------------------------------

    def assert_table(self, lines, width=80):
        head, rows = lines[0].rstrip("\n"), [ln.rstrip("\n") for ln in lines[1:]]
        self.assertLessEqual(len(head), width, head)
        for r in rows:
            self.assertEqual(len(head), len(r), f"misaligned:\n{head}\n{r}")
        # every header word ends where its column ends
        ends = [m.end() for m in re.finditer(r"\S+", head)]
        for r in rows:
            self.assertEqual(ends, [m.end() for m in
                                    re.finditer(r"\S+(?: (?:KiB|MiB|GiB|B|s)\b)?",
                                                r)], r)

    def test_piped_watch_and_history_fit_80_columns_aligned(self):
        lines, _ = self.piped_lines("watch", n=6)
        self.assertRegex(lines[0], r"^\s+time\s+seq\s+alloc\s+free\s+"
                                   r"heap\.used\s+page\.used\s+mmz\.used$")
        self.assert_table(lines)
        hist = self.gcmon("history").stdout.splitlines(keepends=True)
        self.assertRegex(hist[0], r"^run id")
        self.assert_table(hist[1:])
        raw = self.gcmon("history", "--bytes").stdout.splitlines(True)
        self.assert_table(raw[1:])

    def test_wide_shows_every_field(self):
        out = self.gcmon("history", "--wide").stdout.splitlines(True)
        for col in ("time", "seq", "uptime", "alloc", "free", "threshold",
                    "enabled", "colls", "lfree", "sys_total", "heap.total",
                    "heap.free", "page.total", "mmz.free"):
            self.assertRegex(out[1], rf"(^|\s){re.escape(col)}(\s|$)", col)
        self.assert_table(out[1:], width=400)
        lines, _ = self.piped_lines("watch", "--wide", n=3)
        self.assertIn("uptime", lines[0])
        self.assertGreater(len(lines[0]), 80)

    # ---- host time ------------------------------------------------------

    @unittest.skipIf(os.environ.get("GCMON_VALGRIND"),
                     "paced by wall-clock seconds; under valgrind the "
                     "programs run ~20x slower (checked in the other modes)")
    def test_series_rows_carry_the_host_time_last_in_csv_and_in_json(self):
        before = time.time()
        out = self.gcmon("history", "--csv").stdout
        header = out.splitlines()[0].split(",")
        # new columns go after the old ones (time, then the alarm rows',
        # then record's watermarks and collection rows')
        self.assertEqual("prev_run_id", header[header.index("time") - 1])
        tail = header[header.index("time"):]
        self.assertEqual(["time", "alarm", "raised", "value"], tail[:4])
        self.assertTrue(all(c.startswith("watermarks.") for c in tail[4:16]),
                        tail)
        self.assertEqual(["number", "cause", "start_uptime_us", "pause_us",
                          "alloc_before", "alloc_after", "freed_bytes",
                          "largest_free_after"], tail[16:])
        self.assertEqual(["event", "run_id", "seq", "uptime_us"], header[:4])
        rows = list(csv.DictReader(io.StringIO(out)))
        # Samples 20 ms apart by uptime are 20 ms apart by host time, and
        # the newest was taken just now.
        t0, t1 = parse_iso(rows[0]["time"]), parse_iso(rows[-1]["time"])
        u0, u1 = int(rows[0]["uptime_us"]), int(rows[-1]["uptime_us"])
        self.assertAlmostEqual((u1 - u0) / 1e6, t1 - t0, delta=0.002)
        self.assertLess(abs(t1 - before), 3)
        lines, _ = self.piped_lines("watch", "--json", n=2)
        s = json.loads(lines[1])
        self.assertLess(abs(parse_iso(s["time"]) - time.time()), 3)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.csv")
            p = t.start("record", "--csv", path, target=self.target)
            time.sleep(0.6)
            t.interrupt(p)
            with open(path) as f:
                rec = list(csv.DictReader(f))
        self.assertLess(abs(parse_iso(rec[-1]["time"]) - time.time()), 3)
        text, _ = self.piped_lines("watch", n=2)
        self.assertRegex(text[1], r"^\d\d:\d\d:\d\d ")

    # ---- small things ---------------------------------------------------

    def test_a_different_granted_interval_is_said(self):
        _, err = self.piped_lines("watch", "--interval", "30ms", n=2)
        self.assertIn("--interval 30 ms: the daemon grants 40 ms", err)
        _, err = self.piped_lines("watch", "--interval", "40", n=2)
        self.assertNotIn("grants", err)

    def test_history_past_the_newest_says_there_is_nothing_newer(self):
        p = self.gcmon("history", "--since", "999999")
        self.assertEqual("", p.stdout)
        self.assertIn("nothing at or after seq 999999", p.stderr)
        self.assertEqual(1, len(p.stderr.splitlines()))
        doc = json.loads(self.gcmon("history", "--since", "999999",
                                    "--json").stdout)
        self.assertEqual([], doc["samples"])

    def test_record_counts_in_singular_and_plural(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "one.csv")
            p = t.start("record", "--csv", path, "--interval", "10s",
                        target=self.target)
            deadline = time.monotonic() + 20
            while not (os.path.exists(path) and
                       len(open(path).readlines()) >= 2):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            rc, _, err = t.interrupt(p)
        self.assertEqual(0, rc, err)
        self.assertIn("recorded 1 sample (0 gaps, 0 restarts)", err)
        self.assertIn("0 reconnects", err)

    @unittest.skipIf(os.environ.get("GCMON_VALGRIND"),
                     "paced by wall-clock seconds; under valgrind the "
                     "programs run ~20x slower (checked in the other modes)")
    def test_record_shows_progress_on_a_terminal(self):
        primary, secondary = pty.openpty()
        with tempfile.TemporaryDirectory() as d:
            p = subprocess.Popen(
                t.PREFIX + [t.GCMON, "record", "--csv",
                            os.path.join(d, "p.csv")],
                stdout=subprocess.DEVNULL, stderr=secondary,
                env=dict(os.environ, GCMON_TARGET=self.target))
            os.close(secondary)
            time.sleep(1.2)
            p.send_signal(2)
            p.wait(15)
            seen = b""
            while True:
                try:
                    chunk = os.read(primary, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            os.close(primary)
        text = seen.decode()
        self.assertRegex(text, r"\r\x1b\[Kgcmon record: \d+ samples, 0 gaps, "
                               r"0 restarts, [\d.]+/s")
        self.assertIn("recorded", text)


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main(verbosity=2)
