"""gcmon export on its own (no Prometheus): /metrics for -t targets, the
first /probe of a new board, the target limit, idle expiry closing the
session, staleness, a board that appears late or restarts, and SIGTERM;
and under abuse: many spellings of one board take one session on it,
--probe-allow keeps /probe inside the operator's networks, and half-sent
requests (slowloris) neither block a real scrape nor stay open.

    GCMON=<gcmon> GCMOND=<gcmond> GCMON_PYTHON test_gcmon_export.py
"""
import os
import signal
import socket
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
        # a third board (localhost:{d.port} would be the first one again)
        status, body = e.probe(f"tcp://127.0.0.2:{d.port}")
        self.assertEqual(503, status)
        self.assertIn("probe target limit reached (2 targets cached, see "
                      "--max-targets)", body)
        self.assertEqual(1, self.probe(e, first)[0]["gcmon_probe_success"])
        m = self.metrics(e)
        self.assertEqual(1, m["gcmon_exporter_probes_rejected_total"])
        self.assertEqual(2, m['gcmon_exporter_targets{kind="probe"}'])

    @unittest.skipIf(os.environ.get("GCMON_VALGRIND"),
                     "paced by wall-clock seconds; under valgrind the "
                     "programs run ~20x slower (checked in the other modes)")
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

    def test_every_spelling_of_one_board_is_one_session_on_it(self):
        d = self.start_daemon("--max-sessions", "3")
        p = d.port
        spellings = [f"tcp://127.0.0.1:{p}", f"tcp://127.1:{p}",
                     f"tcp://2130706433:{p}", f"tcp://0x7f000001:{p}",
                     f"tcp://localhost:{p}", f"tcp://127.0.0.1:0{p}",
                     f"tcp://127.0.0.1:{p}/", f"tcp://127.000.000.001:{p}"]
        e = self.start_exporter("-t", f"tcp://127.0.0.1:{p}")
        for target in spellings:
            m, body = self.probe(e, target)
            self.assertEqual(1, m["gcmon_probe_success"], (target, body))
        m = self.metrics(e)
        # the listed target and every probe share one entry: one session
        self.assertEqual(0, m['gcmon_exporter_targets{kind="probe"}'])
        c = t.wire().Client.tcp(p)  # a direct client still gets a session
        self.addCleanup(c.close)
        self.assertEqual(0, c.hello().status.code)

    def test_probe_allow_keeps_probes_inside_the_listed_networks(self):
        d = self.start_daemon()
        target = f"tcp://localhost:{d.port}"
        e = self.start_exporter("--probe-allow", "10.0.0.0/8,192.168.1.7")
        status, body = e.probe(target)
        self.assertEqual(403, status, body)
        self.assertIn("127.0.0.1", body)
        self.assertIn("--probe-allow", body)
        status, body = e.probe("tcp://no-such-host.invalid")
        self.assertEqual(403, status, body)
        e2 = self.start_exporter("--probe-allow", "10.0.0.0/8,127.0.0.0/30")
        m, body = self.probe(e2, target)
        self.assertEqual(1, m["gcmon_probe_success"], body)
        e3 = self.start_exporter("--probe-allow", "localhost")
        m, body = self.probe(e3, target)
        self.assertEqual(1, m["gcmon_probe_success"], body)

    def test_half_sent_requests_neither_block_a_scrape_nor_stay_open(self):
        e = self.start_exporter()
        host, port = e.address.rsplit(":", 1)
        slow = []
        for _ in range(300):  # one client, 127.0.0.2, never ends its headers
            s = socket.socket()
            s.settimeout(5)
            s.bind(("127.0.0.2", 0))
            try:
                s.connect((host, int(port)))
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                pass
            slow.append(s)
        self.addCleanup(lambda: [s.close() for s in slow])
        t0 = time.monotonic()
        status, body = e.get("/metrics")  # a real scrape from 127.0.0.1
        took = time.monotonic() - t0
        self.assertEqual(200, status, body)
        self.assertLess(took, 2.0)  # before: refused (every slot taken)
        # and the half-sent ones are closed within the header timeout
        closed = 0
        deadline = time.monotonic() + 15
        for s in slow:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                closed += s.recv(1) == b""
            except (ConnectionResetError, BrokenPipeError):
                closed += 1
            except OSError:
                pass
        self.assertEqual(len(slow), closed)
        print(f"scrape beside 300 half-sent requests: {took * 1000:.0f} ms;"
              f" all closed {time.monotonic() - t0:.1f} s after")

    def test_bad_options_are_usage_errors(self):
        for args, msg in ((["-t", "k230:99999"], "port"),
                          (["--listen", "nowhere"], "HOST:PORT"),
                          (["--max-targets", "0"], "--max-targets"),
                          (["--probe-allow", "10.0.0.0/33"], "--probe-allow"),
                          (["--probe-allow", "a,,b"], "--probe-allow"),
                          (["--idle-expiry", "soon"], "--idle-expiry")):
            p = t.run("export", *args)
            self.assertIn(p.returncode, (1, 2), args)
            self.assertIn(msg, p.stderr, args)


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main(verbosity=2)
