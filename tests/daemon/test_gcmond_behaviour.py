"""gcmond behaviour beyond single calls: streaming rates, resume with
from_seq, history bounds, slow readers, limits, permissions, the UART
coming and going, and process-level behaviour (signals, flags).

Run by ctest as: GCMON_PYTHON test_gcmond_behaviour.py [unittest args]
with GCMOND and GCMON_EXEC_PREFIX in the environment (see gcmonwire.py).
"""
import os
import socket
import subprocess
import tempfile
import time
import unittest

import gcmonwire as w
import gcmon_pb2 as pb

GCMOND = None
PREFIX = []
S = pb.Status


def start(*args, **kw):
    return w.Daemon(GCMOND, *args, prefix=PREFIX, **kw)


class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.daemons = []
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        for d in self.daemons:
            self.assertEqual(0, d.stop(), d.log_text())

    def daemon(self, *args, **kw):
        d = start(*args, **kw)
        self.daemons.append(d)
        return d

    def client(self, d, **kw):
        c = w.Client.tcp(d.port, **kw)
        self.clients.append(c)
        return c


class Streaming(DaemonTest):
    def test_subscription_at_50ms_delivers_about_20_samples_per_second(self):
        d = self.daemon("--interval", "50")
        c = self.client(d)
        c.hello()
        sub = c.call(subscribe=pb.SubscribeRequest(interval_ms=50)).subscribed
        c.events(sub.subscription, 2)  # let the stream settle
        t0 = time.monotonic()
        ev = c.events(sub.subscription, 40, timeout=10)
        rate = 39 / (time.monotonic() - t0)
        self.assertTrue(15 <= rate <= 25, f"{rate:.1f} samples/s")
        seqs = [e.seq for e in ev]
        self.assertEqual(list(range(seqs[0], seqs[0] + 40)), seqs)
        up = [e.uptime_us for e in ev]
        self.assertEqual(sorted(up), up)

    def test_resume_with_from_seq_after_a_dropped_connection_is_contiguous(self):
        d = self.daemon("--interval", "20")
        c = self.client(d)
        run_id = c.hello().hello.run_id
        sub = c.call(subscribe=pb.SubscribeRequest()).subscribed
        first = c.events(sub.subscription, 10)
        c.close()  # the link drops; samples keep being taken
        time.sleep(0.5)
        c2 = self.client(d)
        self.assertEqual(run_id, c2.hello().hello.run_id)
        nxt = first[-1].seq + 1
        r = c2.call(subscribe=pb.SubscribeRequest(from_seq=nxt)).subscribed
        self.assertEqual(nxt, r.first_seq)
        rest = c2.events(r.subscription, 40)
        seqs = [e.seq for e in first + rest]
        self.assertEqual(list(range(seqs[0], seqs[0] + len(seqs))), seqs)

    def test_history_older_than_the_ring_is_reported_honestly(self):
        d = self.daemon("--interval", "10", "--history", "8")
        c = self.client(d)
        c.hello()
        time.sleep(0.5)  # ~50 samples, 8 retained
        h = c.call(get_history=pb.GetHistoryRequest(from_seq=1)).history
        self.assertGreater(h.oldest_seq, 1)
        self.assertEqual(h.oldest_seq, h.samples[0].seq)
        r = c.call(subscribe=pb.SubscribeRequest(from_seq=1)).subscribed
        self.assertGreater(r.first_seq, 1)  # the gap is no longer retained
        ev = c.events(r.subscription, 3)
        self.assertEqual(r.first_seq, ev[0].seq)

    def test_from_seq_ahead_of_the_series_is_invalid_argument(self):
        d = self.daemon("--interval", "1000")
        c = self.client(d)
        c.hello()
        r = c.call(subscribe=pb.SubscribeRequest(from_seq=10 ** 9))
        self.assertEqual(S.INVALID_ARGUMENT, r.status.code)

    def test_second_hello_ends_the_sessions_subscriptions(self):
        d = self.daemon("--interval", "20")
        c = self.client(d)
        c.hello()
        sub = c.call(subscribe=pb.SubscribeRequest()).subscribed
        c.events(sub.subscription, 2)
        c.hello()
        time.sleep(0.1)
        c.packets.clear()
        with self.assertRaises(TimeoutError):
            c.wait(lambda p: p.WhichOneof("kind") == "event", 0.3)


class SimControl(DaemonTest):
    """Control requests change what the simulated heap does, not just what
    it reports."""

    def gc(self, c):
        return c.call(get_sample=pb.GetSampleRequest()).sample.gc

    def test_enable_disable_decides_whether_the_sim_collects_by_itself(self):
        d = self.daemon("--interval", "50", "--seed", "42")
        c = self.client(d)
        c.hello()
        c.call(set_threshold=pb.SetThresholdRequest(bytes=1024))
        a = self.gc(c)
        time.sleep(1.0)
        b = self.gc(c)
        self.assertGreater(b.collections, a.collections)  # enabled: collects

        c.call(set_enabled=pb.SetEnabledRequest(enabled=False))
        a = self.gc(c)
        time.sleep(1.0)
        b = self.gc(c)
        self.assertFalse(b.enabled)
        self.assertEqual(a.collections, b.collections)  # disabled: never
        self.assertGreater(b.mem_alloc, a.mem_alloc)  # garbage piles up

        r = c.call(collect=pb.CollectRequest()).collect  # explicit still works
        self.assertGreaterEqual(r.freed_bytes, b.mem_alloc - a.mem_alloc)
        self.assertEqual(b.collections + 1, r.after.gc.collections)


class SlowReaders(DaemonTest):
    def test_client_that_never_reads_neither_grows_memory_nor_delays_others(self):
        d = self.daemon("--interval", "10")
        # a stalled reader: subscribes four times, then never reads
        stalled = self.client(d)
        stalled.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.hello()
        for _ in range(4):
            stalled.request(subscribe=pb.SubscribeRequest(from_seq=1))
        readers = [self.client(d) for _ in range(4)]
        subs = []
        for r in readers:
            r.hello()
            subs.append(r.call(subscribe=pb.SubscribeRequest()).subscribed)
        time.sleep(1.0)
        rss_before = d.rss_kib()
        t0 = time.monotonic()
        for r, s in zip(readers, subs):
            ev = r.events(s.subscription, 150, timeout=10)
            seqs = [e.seq for e in ev]
            self.assertEqual(list(range(seqs[0], seqs[0] + 150)), seqs)
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, 4.0)  # 150 samples at 100 Hz: ~1.5 s
        time.sleep(1.0)
        rss_after = d.rss_kib()
        self.assertLess(rss_after - rss_before, 256, (rss_before, rss_after))


class Limits(DaemonTest):
    def test_session_limit_refuses_extra_client_with_a_status(self):
        d = self.daemon("--max-sessions", "2")
        a, b = self.client(d), self.client(d)
        self.assertEqual(S.OK, a.hello().status.code)
        self.assertEqual(S.OK, b.hello().status.code)
        c = self.client(d)
        r = c.wait(lambda p: p.WhichOneof("kind") == "response")
        self.assertEqual(0, r.response.id)
        self.assertEqual(S.RESOURCE_EXHAUSTED, r.response.status.code)
        self.assertIn("session limit", r.response.status.message)
        with self.assertRaises(w.Closed):
            c.wait(lambda p: False, 2)
        a.close()
        time.sleep(0.2)
        d2 = self.client(d)
        self.assertEqual(S.OK, d2.hello().status.code)

    def test_flood_of_pipelined_requests_is_answered_in_order(self):
        d = self.daemon("--interval", "1000")
        c = self.client(d)
        c.hello()
        p = pb.Packet()
        p.request.get_history.SetInParent()
        blob = bytearray()
        for i in range(2000):
            p.request.id = i + 100
            blob += w.frame(p.SerializeToString())
        c.send_raw(bytes(blob))
        got = []
        while len(got) < 2000:
            q = c.wait(lambda q: q.WhichOneof("kind") == "response", 20)
            got.append(q.response.id)
        self.assertEqual(list(range(100, 2100)), got)


class Permissions(DaemonTest):
    def setUp(self):
        super().setUp()
        self.addr = w.non_loopback_ipv4()
        if not self.addr:
            self.skipTest("no non-loopback IPv4 address on this host")
        self.tokdir = tempfile.TemporaryDirectory()
        self.token = os.path.join(self.tokdir.name, "token")
        with open(self.token, "w") as f:
            f.write("s3cret-token\n")
        os.chmod(self.token, 0o600)

    def tearDown(self):
        super().tearDown()
        self.tokdir.cleanup()

    def remote(self, d):
        # Connecting to our own non-loopback address: the daemon sees a
        # peer that is not 127.0.0.0/8, exactly as a remote host.
        c = w.Client.tcp(d.port, host=self.addr)
        self.clients.append(c)
        return c

    def test_remote_peer_without_token_is_denied_and_nothing_changes(self):
        d = self.daemon("--listen", "0.0.0.0:0", "--token-file", self.token,
                        listen="0.0.0.0:0")
        c = self.remote(d)
        self.assertFalse(c.hello().hello.control)
        before = c.call(get_sample=pb.GetSampleRequest()).sample.gc
        for call in (dict(collect=pb.CollectRequest()),
                     dict(set_threshold=pb.SetThresholdRequest(bytes=4096)),
                     dict(set_enabled=pb.SetEnabledRequest(enabled=False))):
            r = c.call(**call)
            self.assertEqual(S.PERMISSION_DENIED, r.status.code)
            self.assertIn("token", r.status.message)
        after = c.call(get_sample=pb.GetSampleRequest()).sample.gc
        self.assertEqual(before.threshold, after.threshold)
        self.assertEqual(before.enabled, after.enabled)
        self.assertEqual(before.collections, after.collections)

    def test_remote_peer_with_wrong_token_is_read_only(self):
        d = self.daemon("--token-file", self.token, listen="0.0.0.0:0")
        c = self.remote(d)
        r = c.hello(token=b"s3cret-tokeX")
        self.assertEqual(S.OK, r.status.code)
        self.assertFalse(r.hello.control)
        self.assertIn("token", r.status.message)

    def test_remote_peer_with_the_token_may_control(self):
        d = self.daemon("--token-file", self.token, listen="0.0.0.0:0")
        c = self.remote(d)
        self.assertTrue(c.hello(token=b"s3cret-token").hello.control)
        r = c.call(set_threshold=pb.SetThresholdRequest(bytes=8192))
        self.assertEqual(S.OK, r.status.code)
        self.assertEqual(8192, r.sample.gc.threshold)

    def test_world_readable_token_file_is_refused_at_start(self):
        os.chmod(self.token, 0o644)
        p = subprocess.run(PREFIX + [GCMOND, "--listen", "127.0.0.1:0",
                                     "--token-file", self.token],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(1, p.returncode)
        self.assertIn("chmod 600", p.stderr)


class Process(DaemonTest):
    def run_gcmond(self, *args):
        return subprocess.run(PREFIX + [GCMOND] + list(args),
                              capture_output=True, text=True, timeout=10)

    def test_bad_flags_exit_2_with_a_usage_line(self):
        for args in (["--interval", "5"], ["--bogus"], ["--source", "nope"],
                     ["--baud", "12345"], ["--history"], ["extra"],
                     ["--listen", "none"], ["--require-mac"]):
            p = self.run_gcmond(*args)
            self.assertEqual(2, p.returncode, args)
            self.assertIn("usage: gcmond", p.stderr, args)

    def test_help_and_version_exit_0(self):
        self.assertEqual(0, self.run_gcmond("--help").returncode)
        p = self.run_gcmond("--version")
        self.assertEqual(0, p.returncode)
        self.assertTrue(p.stdout.startswith("gcmond "))

    def test_sigint_and_sigterm_close_sessions_and_exit_0(self):
        for sig in (2, 15):
            d = start("--interval", "20")
            c = w.Client.tcp(d.port)
            c.hello()
            c.call(subscribe=pb.SubscribeRequest())
            self.assertEqual(0, d.stop(sig))
            self.assertIn("stopped", d.log_text())
            with self.assertRaises(w.Closed):
                c.wait(lambda p: False, 3)
            c.close()

    def test_unplugged_uart_is_reopened_while_tcp_keeps_serving(self):
        """The adapter is unplugged and plugged back (gcmonwire.SerialCable)."""
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        cable = w.SerialCable(tmp.name)
        self.addCleanup(cable.unplug)

        def open_host():
            c = cable.open_host()
            self.addCleanup(os.close, c.fd)
            return c

        cable.plug()
        d = self.daemon("--interval", "20", "--uart", cable.dev)
        self.assertEqual(S.OK, open_host().hello().status.code)
        tcp = self.client(d)
        tcp.hello()
        sub = tcp.call(subscribe=pb.SubscribeRequest()).subscribed

        cable.unplug()
        ev = tcp.events(sub.subscription, 25)  # TCP is not disturbed
        seqs = [e.seq for e in ev]
        self.assertEqual(list(range(seqs[0], seqs[0] + 25)), seqs)
        self.assertIn("device lost", d.log_text())

        cable.plug()  # replug: the daemon reopens the same path
        deadline = time.monotonic() + 5
        while "device back" not in d.log_text():
            self.assertLess(time.monotonic(), deadline, d.log_text())
            time.sleep(0.05)
        u = open_host()
        r = u.hello()
        self.assertEqual(S.OK, r.status.code)
        self.assertTrue(r.hello.control)  # UART = physical access


if __name__ == "__main__":
    GCMOND, PREFIX = w.daemon_command_from_env()
    unittest.main(verbosity=2)
