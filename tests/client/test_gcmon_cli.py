"""gcmon end to end: every command against a live gcmond (sim), over TCP and
over a pty pair (the UART path), checking that what gcmon prints equals
what the daemon reports to an independent client (gcmonwire), and that
JSON output parses with Python's json.

    GCMON=<gcmon> GCMOND=<gcmond> GCMON_PYTHON test_gcmon_cli.py
"""
import csv
import io
import json
import os
import re
import tempfile
import time
import unittest

import clitest as t

STABLE = ("sys_total",)


class Commands:
    """Mixin: self.target is how gcmon reaches self.daemon."""

    def independent(self):
        c = self.daemon.client()
        self.addCleanup(c.close)
        return c

    def gcmon(self, *args, check=0):
        return t.run(*args, target=self.target, check=check)

    def test_info_json_equals_the_daemons_hello(self):
        got = t.run_json("info", target=self.target)
        h = self.independent().hello().hello
        for key in ("daemon", "source", "device_id", "version",
                    "min_interval_ms", "history_capacity", "max_payload",
                    "max_subscriptions", "max_sessions", "control"):
            self.assertEqual(getattr(h, key), got[key], key)
        self.assertEqual(f"{h.run_id:016x}", got["run_id"])  # a hex string
        self.assertTrue(got["control"])  # loopback and UART may control

    def test_info_text_names_daemon_source_device_and_control(self):
        out = self.gcmon("info").stdout
        h = self.independent().hello().hello
        self.assertRegex(out, r"daemon\s+" + re.escape(h.daemon))
        self.assertRegex(out, r"source\s+sim\n")
        self.assertRegex(out, r"device\s+" + re.escape(h.device_id))
        self.assertRegex(out, r"control allowed\s+yes")
        self.assertRegex(out, rf"run id\s+{h.run_id:016x}\n")

    def test_stat_json_is_an_on_demand_sample_matching_the_daemon(self):
        got = t.run_json("stat", target=self.target)
        want = t.sample_dict(t.get_sample(self.independent()))
        self.assertEqual(0, got["seq"])
        self.assertEqual(set(want), set(got))
        self.assertEqual(want["sys_total"], got["sys_total"])
        for pool in ("sys_heap", "sys_page", "sys_mmz"):
            self.assertEqual(want[pool]["total"], got[pool]["total"], pool)
            self.assertEqual(got[pool]["total"],
                             got[pool]["used"] + got[pool]["free"], pool)
        g, w = got["gc"], want["gc"]
        self.assertEqual(w["threshold"], g["threshold"])
        self.assertEqual(w["enabled"], g["enabled"])
        self.assertEqual(w["mem_alloc"] + w["mem_free"],
                         g["mem_alloc"] + g["mem_free"])  # the heap's size

    def test_stat_text_shows_the_gc_functions_in_units_with_percent(self):
        out = self.gcmon("stat").stdout
        for fn in ("gc.mem_alloc()", "gc.mem_free()", "gc.threshold()",
                   "gc.isenabled()", "gc.sys_total()", "gc.sys_heap()",
                   "gc.sys_page()", "gc.sys_mmz()"):
            self.assertIn(fn, out)
        self.assertRegex(out, r"gc\.mem_alloc\(\)\s+[\d.]+ (KiB|MiB) "
                              r"\([\d.]+%\)")
        self.assertRegex(out, r"gc\.sys_total\(\)\s+512\.00 MiB")
        raw = self.gcmon("stat", "--bytes").stdout
        total = t.get_sample(self.independent()).sys_total
        self.assertRegex(raw, rf"gc\.sys_total\(\)\s+{total}\n")

    def test_threshold_sets_with_suffixes_and_prints_the_daemons_value(self):
        out = self.gcmon("threshold", "64K").stdout
        self.assertRegex(out, r"gc\.threshold\(\)\s+64\.00 KiB")
        c = self.independent()
        self.assertEqual(65536, t.get_sample(c).gc.threshold)
        got = t.run_json("threshold", "1.5M", target=self.target)
        self.assertEqual({"threshold": 1572864}, got)
        self.assertEqual(1572864, t.get_sample(c).gc.threshold)
        self.assertEqual({"threshold": 1572864},
                         t.run_json("threshold", target=self.target))
        self.assertEqual({"threshold": -1},
                         t.run_json("threshold", "off", target=self.target))
        self.assertEqual(-1, t.get_sample(c).gc.threshold)
        self.assertRegex(self.gcmon("threshold").stdout,
                         r"gc\.threshold\(\)\s+off")

    def test_disable_and_enable_change_what_the_daemon_reports(self):
        c = self.independent()
        self.assertEqual({"enabled": False},
                         t.run_json("disable", target=self.target))
        self.assertFalse(t.get_sample(c).gc.enabled)
        self.assertRegex(self.gcmon("enable").stdout, r"gc\.isenabled\(\)\s+yes")
        self.assertTrue(t.get_sample(c).gc.enabled)

    def test_collect_reports_freed_bytes_duration_and_the_state_after(self):
        got = t.run_json("collect", target=self.target)
        after = t.get_sample(self.independent())
        self.assertIsInstance(got["freed_bytes"], int)
        self.assertGreaterEqual(got["duration_us"], 0)
        self.assertEqual(0, got["after"]["seq"])
        self.assertLessEqual(got["after"]["gc"]["collections"],
                             after.gc.collections)
        self.assertGreaterEqual(got["after"]["gc"]["collections"], 1)
        out = self.gcmon("collect").stdout
        self.assertRegex(out, r"freed\s+-?[\d.]+ (B|KiB|MiB)")
        self.assertRegex(out, r"duration\s+[\d.]+ (us|ms|s)\n")

    def wait_for_history(self, n):
        c = self.independent()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            h = t.history_by_seq(c)
            if len(h) >= n:
                return h
            time.sleep(0.05)
        self.fail("history did not fill")

    def test_history_json_equals_the_daemons_retained_samples(self):
        self.wait_for_history(30)
        got = t.run_json("history", target=self.target)
        want = t.history_by_seq(self.independent())
        seqs = [s["seq"] for s in got["samples"]]
        self.assertEqual(list(range(seqs[0], seqs[-1] + 1)), seqs)
        self.assertGreaterEqual(len(seqs), 30)
        self.assertEqual([], got["gaps"])
        for s in got["samples"]:
            self.assertEqual("sample", s.pop("event"))
            self.assertEqual(got["run_id"], s.pop("run_id"))
            self.assertRegex(s.pop("time"), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:"
                                            r"\d\d\.\d{3}Z$")
            self.assertEqual(want[s["seq"]], s, s["seq"])

    def test_history_since_and_csv_have_the_same_samples(self):
        h = self.wait_for_history(20)
        since = min(h) + 5
        out = self.gcmon("history", "--since", str(since), "--csv").stdout
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual(since, int(rows[0]["seq"]))
        for r in rows:
            want = h.get(int(r["seq"]))
            if want is None:
                continue  # newer than our independent snapshot
            self.assertEqual("sample", r["event"])
            self.assertEqual(want["gc"]["mem_alloc"], int(r["gc.mem_alloc"]))
            self.assertEqual(want["sys_heap"]["used"],
                             int(r["sys_heap.used"]))
            self.assertEqual(want["uptime_us"], int(r["uptime_us"]))
        text = self.gcmon("history", "--since", str(since)).stdout
        self.assertRegex(text, r"\n\s+time\s+seq\s+alloc")

    def test_record_streams_a_contiguous_run_to_csv(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rec.csv")
            p = t.start("record", "--csv", path, target=self.target)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if os.path.exists(path):
                    with open(path) as f:
                        if len(f.readlines()) > 21:
                            break
                time.sleep(0.05)
            rc, _, err = t.interrupt(p)
            self.assertEqual(0, rc, err)
            with open(path) as f:
                rows = list(csv.DictReader(f))
        seqs = [int(r["seq"]) for r in rows]
        self.assertGreaterEqual(len(seqs), 20)
        self.assertEqual(list(range(seqs[0], seqs[-1] + 1)), seqs)
        want = t.history_by_seq(self.independent())
        for r in rows:
            s = want[int(r["seq"])]
            self.assertEqual(s["gc"]["mem_alloc"], int(r["gc.mem_alloc"]))
            self.assertEqual(s["sys_page"]["used"], int(r["sys_page.used"]))
        self.assertRegex(err, rf"recorded {len(rows)} samples")

    def test_watch_without_a_terminal_prints_json_lines(self):
        p = t.start("watch", "--json", target=self.target)
        lines = []
        while len(lines) < 5:
            lines.append(json.loads(p.stdout.readline()))
        rc, rest, _ = t.interrupt(p)
        self.assertEqual(0, rc)
        seqs = [s["seq"] for s in lines]
        self.assertEqual(list(range(seqs[0], seqs[0] + 5)), seqs)
        self.assertIn("gc", lines[0])

    def test_watch_without_a_terminal_prints_a_table(self):
        p = t.start("watch", target=self.target)
        head = p.stdout.readline()
        row = p.stdout.readline()
        rc, _, _ = t.interrupt(p)
        self.assertEqual(0, rc)
        self.assertRegex(head, r"^\s+time\s+seq\s+alloc\s+free")
        self.assertRegex(row, r"^\d\d:\d\d:\d\d\s+\d+\s+[\d.]+ \w+\s+")


class OverTcp(Commands, unittest.TestCase):
    def setUp(self):
        self.daemon = t.Daemon()
        self.target = f"tcp://127.0.0.1:{self.daemon.port}"

    def tearDown(self):
        self.assertEqual(0, self.daemon.stop(), self.daemon.log())


class OverSerialPty(Commands, unittest.TestCase):
    def setUp(self):
        self.pty = t.PtyPair()
        self.daemon = t.Daemon(uart=self.pty.a)
        self.target = f"serial://{self.pty.b}?baud=115200"

    def tearDown(self):
        rc = self.daemon.stop()
        self.pty.close()
        self.assertEqual(0, rc, self.daemon.log())


class Failures(unittest.TestCase):
    """Exit codes and the one line on stderr."""

    def test_unreachable_target_is_exit_1_naming_it(self):
        port = t.free_port()
        p = t.run("stat", target=f"tcp://127.0.0.1:{port}")
        self.assertEqual(1, p.returncode)
        self.assertEqual("", p.stdout)
        self.assertEqual(1, len(p.stderr.splitlines()), p.stderr)
        self.assertIn(f"127.0.0.1:{port}", p.stderr)
        self.assertIn("refused", p.stderr)

    def test_missing_serial_device_is_exit_1_naming_it(self):
        p = t.run("info", target="serial:///dev/gcmon-test-missing")
        self.assertEqual(1, p.returncode)
        self.assertIn("/dev/gcmon-test-missing", p.stderr)

    def test_malformed_target_is_a_usage_error(self):
        for bad in ("k230:99999", "tcp://host:99999", "serial://ttyUSB0",
                    "serial:///dev/ttyUSB0?baud=7",
                    "serial:///dev/ttyUSB0?baud=1200",  # below 9600
                    "/dev/ttyUSB0?baud=4800"):
            p = t.run("-t", bad, "info")
            self.assertEqual(2, p.returncode, bad)
            self.assertIn("malformed target", p.stderr)
            self.assertIn(bad.split("?")[0].split("://")[-1], p.stderr)
            self.assertEqual(1, len(p.stderr.splitlines()), p.stderr)

    def test_usage_errors_are_exit_2_and_point_to_help(self):
        for args in (["frobnicate"], ["stat", "extra"], ["threshold", "12Q"],
                     ["stat", "--csv"], ["--timeout", "soon", "info"],
                     ["record"], ["history", "--since", "x"], []):
            p = t.run(*args)
            self.assertEqual(2, p.returncode, args)
            self.assertTrue(p.stderr.strip(), args)

    def test_help_and_version(self):
        p = t.run("--help", check=0)
        for c in ("info", "stat", "watch", "collect", "threshold", "enable",
                  "disable", "history", "record"):
            self.assertIn(c, p.stdout)
            self.assertIn("usage: gcmon", t.run(c, "--help", check=0).stdout)
        self.assertRegex(t.run("--version", check=0).stdout,
                         r"^gcmon \d+\.\d+\.\d+")

    def test_silent_peer_times_out_with_exit_1_naming_the_timeout(self):
        import socket
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)  # accepts (the kernel does) and never answers
        port = srv.getsockname()[1]
        try:
            start = time.monotonic()
            p = t.run("--timeout", "300ms", "stat",
                      target=f"tcp://127.0.0.1:{port}")
            took = time.monotonic() - start
        finally:
            srv.close()
        self.assertEqual(1, p.returncode)
        self.assertIn("300 ms", p.stderr)
        self.assertIn("--timeout", p.stderr)
        self.assertLess(took, 10)


class DaemonRefusals(unittest.TestCase):
    def test_control_on_a_source_without_gc_is_unavailable_naming_it(self):
        d = t.wire().Daemon(t.GCMOND, "--source", "linux",
                            prefix=t.PREFIX, listen="127.0.0.1:0")
        try:
            p = t.run("collect", target=f"tcp://127.0.0.1:{d.port}")
        finally:
            d.stop()
        self.assertEqual(1, p.returncode)
        # said once, not "unavailable on source 'linux': collect: not
        # available on source 'linux'"
        self.assertEqual("gcmon: collect: unavailable on source 'linux'\n",
                         p.stderr)

    def test_session_limit_is_exit_1_with_the_daemons_reason(self):
        d = t.Daemon("--max-sessions", "1")
        hold = d.client()
        try:
            p = t.run("info", target=f"tcp://127.0.0.1:{d.port}")
        finally:
            hold.close()
            d.stop()
        self.assertEqual(1, p.returncode)
        self.assertIn("session refused by the daemon", p.stderr)
        self.assertIn("session limit 1", p.stderr)


class Permission(unittest.TestCase):
    """A TCP peer that is not loopback needs the daemon's token."""

    def setUp(self):
        self.addr = t.wire().non_loopback_ipv4()
        if not self.addr:
            self.skipTest("no non-loopback IPv4 address on this host")
        self.dir = tempfile.TemporaryDirectory()
        self.token = os.path.join(self.dir.name, "token")
        with open(self.token, "w") as f:
            f.write("s3cret\n")
        os.chmod(self.token, 0o600)
        self.daemon = t.wire().Daemon(
            t.GCMOND, "--source", "sim", "--token-file", self.token,
            prefix=t.PREFIX, listen="0.0.0.0:0")
        self.target = f"tcp://{self.addr}:{self.daemon.port}"

    def tearDown(self):
        self.daemon.stop()
        self.dir.cleanup()

    def test_control_without_the_token_is_permission_denied_naming_options(self):
        p = t.run("collect", target=self.target)
        self.assertEqual(1, p.returncode)
        self.assertIn("permission denied", p.stderr)
        self.assertIn("--token-file", p.stderr)
        self.assertIn("GCMON_TOKEN", p.stderr)
        self.assertFalse(t.run_json("info", target=self.target)["control"])

    def test_a_wrong_token_is_reported_under_the_command_typed(self):
        for cmd in ("enable", "disable", "collect"):
            p = t.run(cmd, target=self.target, env={"GCMON_TOKEN": "wrong"})
            self.assertEqual(1, p.returncode)
            self.assertTrue(p.stderr.startswith(f"gcmon: {cmd}: permission "
                                                f"denied"), p.stderr)
            self.assertNotIn("set_enabled", p.stderr)

    def test_the_token_from_a_file_or_the_environment_allows_control(self):
        t.run("--token-file", self.token, "threshold", "4K",
              target=self.target, check=0)
        p = t.run("disable", target=self.target, env={"GCMON_TOKEN": "s3cret"},
                  check=0)
        self.assertIn("no", p.stdout)
        t.run("enable", target=self.target, env={"GCMON_TOKEN": "s3cret"},
              check=0)


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main(verbosity=2)
