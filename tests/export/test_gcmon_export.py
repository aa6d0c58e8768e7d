"""gcmon export on its own (no Prometheus): /metrics for -t targets, the
first /probe of a new board, the target limit, idle expiry closing the
session, staleness, a board that appears late or restarts, and SIGTERM.

    GCMON=<gcmon> GCMOND=<gcmond> GCMON_PYTHON test_gcmon_export.py
"""
import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "client"))
import clitest as t  # noqa: E402
from exporttest import Exporter, parse, wait_for  # noqa: E402


def daemon(*args, port=0, interval=100):
    return t.wire().Daemon(t.GCMOND, "--source", "sim", "--interval",
                           str(interval), *args, prefix=t.PREFIX,
                           listen=f"127.0.0.1:{port}")


def stop(d):
    rc = d.stop()
    if d.proc.stderr:
        d.proc.stderr.close()
    return rc


class Export(unittest.TestCase):
    def start_exporter(self, *args):
        e = Exporter(*args)
        self.addCleanup(lambda: self.assertEqual(0, e.stop(), "".join(e.log)))
        return e

    def start_daemon(self, *args, **kw):
        d = daemon(*args, **kw)
        self.addCleanup(stop, d)
        return d

    def probe(self, e, target):
        status, body = e.probe(target)
        self.assertEqual(200, status, body)
        return parse(body), body

    def metrics(self, e):
        status, body = e.get("/metrics")
        self.assertEqual(200, status, body)
        return parse(body)

    def test_metrics_shows_every_listed_target_with_a_target_label(self):
        d = self.start_daemon()
        up = f"tcp://127.0.0.1:{d.port}"
        down = f"tcp://127.0.0.1:{t.free_port()}"
        e = self.start_exporter("-t", up, "-t", down)
        m = wait_for("the listed board's first sample", lambda: (
            lambda m: m if m.get(f'gcmon_probe_success{{target="{up}"}}')
            else None)(self.metrics(e)))
        self.assertEqual(0, m[f'gcmon_probe_success{{target="{down}"}}'])
        self.assertEqual(1, m[f'gcmon_link_up{{target="{up}"}}'])
        self.assertEqual(268435456,
                         m[f'gcmon_pool_size_bytes{{target="{up}",'
                           f'pool="mmz"}}'])
        self.assertNotIn(f'gcmon_pool_size_bytes{{target="{down}",'
                         f'pool="mmz"}}', m)
        self.assertEqual(2, m['gcmon_exporter_targets{kind="listed"}'])
        self.assertEqual(0, m['gcmon_exporter_targets{kind="probe"}'])

    def test_the_first_probe_of_a_new_board_answers_with_its_sample(self):
        d = self.start_daemon(interval=1000)
        e = self.start_exporter()
        began = time.monotonic()
        m, body = self.probe(e, f"tcp://127.0.0.1:{d.port}")
        took = time.monotonic() - began
        self.assertEqual(1, m["gcmon_probe_success"], body)
        self.assertIn("gcmon_sample_seq", m)
        self.assertEqual(4194304, m["gcmon_gc_allocated_bytes"] +
                         m["gcmon_gc_free_bytes"])
        self.assertLess(took, 10)  # the wait is bounded (2 s), never a hang
        self.assertEqual(1, self.metrics(e)[
            'gcmon_exporter_targets{kind="probe"}'])

    def test_probe_targets_over_the_limit_get_503_and_are_counted(self):
        d = self.start_daemon()
        e = self.start_exporter("--max-targets", "2")
        first = f"tcp://127.0.0.1:{d.port}"
        self.assertEqual(1, self.probe(e, first)[0]["gcmon_probe_success"])
        self.probe(e, f"tcp://127.0.0.1:{t.free_port()}")
        status, body = e.probe(f"tcp://localhost:{d.port}")  # a third URI
        self.assertEqual(503, status)
        self.assertIn("probe target limit reached (2 targets cached, see "
                      "--max-targets)", body)
        self.assertEqual(1, self.probe(e, first)[0]["gcmon_probe_success"])
        m = self.metrics(e)
        self.assertEqual(1, m["gcmon_exporter_probes_rejected_total"])
        self.assertEqual(2, m['gcmon_exporter_targets{kind="probe"}'])

    def test_an_idle_probe_target_expires_and_its_session_closes(self):
        # One session allowed: while the exporter holds it, gcmon stat is
        # refused; once the target expired, the daemon has room again.
        d = self.start_daemon("--max-sessions", "1")
        target = f"tcp://127.0.0.1:{d.port}"
        e = self.start_exporter("--idle-expiry", "1s")
        self.assertEqual(1, self.probe(e, target)[0]["gcmon_probe_success"])
        p = t.run("stat", target=target)
        self.assertEqual(1, p.returncode)
        self.assertIn("session limit", p.stderr)
        wait_for("the probe target to expire", lambda: self.metrics(e)[
            'gcmon_exporter_targets{kind="probe"}'] == 0, timeout=10)
        wait_for("the daemon to have a free session",
                 lambda: t.run("stat", target=target).returncode == 0,
                 timeout=10)
        # Probed again, it is a new target with a new session.
        m, body = self.probe(e, target)
        self.assertEqual(1, m["gcmon_probe_success"], body)

    def test_a_stale_sample_fails_the_probe_until_samples_flow_again(self):
        d = self.start_daemon(interval=100)
        target = f"tcp://127.0.0.1:{d.port}"
        e = self.start_exporter("-t", target)
        key = f'gcmon_probe_success{{target="{target}"}}'
        wait_for("the first sample", lambda: self.metrics(e).get(key) == 1)
        os.kill(d.proc.pid, signal.SIGSTOP)  # no samples, the socket stays
        try:
            m = wait_for("the sample to go stale", lambda: (
                lambda m: m if m[key] == 0 else None)(self.metrics(e)),
                timeout=10)
            age = m[f'gcmon_last_sample_age_seconds{{target="{target}"}}']
            self.assertGreater(age, 3 * 0.1)
            status, body = e.get("/metrics")
            self.assertRegex(body, r"# gcmon: .*(no sample for|no answer)")
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)
        wait_for("samples to flow again", lambda: self.metrics(e)[key] == 1,
                 timeout=20)

    def test_a_board_that_starts_late_or_restarts_is_picked_up(self):
        port = t.free_port()
        target = f"tcp://127.0.0.1:{port}"
        e = self.start_exporter("-t", target)
        key = f'gcmon_probe_success{{target="{target}"}}'
        self.assertEqual(0, self.metrics(e)[key])
        d = daemon(port=port)
        try:
            wait_for("the late board", lambda: self.metrics(e)[key] == 1,
                     timeout=20)
            run_ids = [k for k in self.metrics(e) if k.startswith("gcmon_info")]
        finally:
            stop(d)
        wait_for("the board to be down", lambda: self.metrics(e)[key] == 0)
        d = self.start_daemon(port=port)
        m = wait_for("the restarted board", lambda: (
            lambda m: m if m[key] == 1 else None)(self.metrics(e)), timeout=20)
        info = [k for k in m if k.startswith("gcmon_info")]
        self.assertEqual(1, len(info))
        self.assertNotEqual(run_ids, info)  # a new run_id label
        self.assertEqual(1, m[f'gcmon_link_reconnects_total{{target="{target}"}}'])

    def test_bad_options_are_usage_errors(self):
        for args, msg in ((["-t", "k230:99999"], "port"),
                          (["--listen", "nowhere"], "HOST:PORT"),
                          (["--max-targets", "0"], "--max-targets"),
                          (["--idle-expiry", "soon"], "--idle-expiry")):
            p = t.run("export", *args)
            self.assertIn(p.returncode, (1, 2), args)
            self.assertIn(msg, p.stderr, args)


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main(verbosity=2)
