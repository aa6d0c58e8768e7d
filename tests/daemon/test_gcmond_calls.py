"""gcmond end to end: every PROTOCOL.md call and its error statuses, over a
real loopback TCP socket and over a real pseudo-terminal (the UART path),
against the simulated K230 source.

Run by ctest as: GCMON_PYTHON test_gcmond_calls.py [unittest args]
with GCMOND and GCMON_EXEC_PREFIX in the environment (see gcmonwire.py).
"""
import os
import time
import tty
import unittest

import gcmonwire as w
import gcmon_pb2 as pb

GCMOND = None
PREFIX = []

S = pb.Status


def start(*args):
    return w.Daemon(GCMOND, *args, prefix=PREFIX)


class Transport:
    """Mixin: connect() returns a Client over this test's transport."""
    extra_args = ()

    def setUp(self):
        self.daemon = start("--interval", "50", "--seed", "42",
                            *self.extra_args())
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        rc = self.daemon.stop()
        self.assertEqual(0, rc, self.daemon.log_text())


class TcpTransport(Transport):
    def extra_args(self):
        return ()

    def connect(self):
        c = w.Client.tcp(self.daemon.port)
        self.clients.append(c)
        return c


class PtyTransport(Transport):
    def extra_args(self):
        self.master, slave = os.openpty()
        self.slave_path = os.ttyname(slave)
        if os.environ.get("GCMON_PLATFORM") == "rtsmart":
            tty.setraw(slave)  # RT-Smart UARTs are raw; no termios there
        os.close(slave)
        return ("--uart", self.slave_path, "--baud", "115200")

    def connect(self):
        return w.Client(fd=self.master)

    def tearDown(self):
        super().tearDown()
        os.close(self.master)


class CallsMixin:
    def test_request_before_hello_is_failed_precondition(self):
        c = self.connect()
        r = c.call(get_sample=pb.GetSampleRequest())
        self.assertEqual(S.FAILED_PRECONDITION, r.status.code)
        self.assertFalse(r.HasField("sample"))
        self.assertEqual(S.OK, c.hello().status.code)

    def test_hello_reports_daemon_source_and_limits(self):
        r = self.connect().hello()
        self.assertEqual(S.OK, r.status.code)
        h = r.hello
        self.assertEqual(1, h.version)
        self.assertTrue(h.daemon.startswith("gcmond "))
        self.assertEqual("sim", h.source)
        self.assertEqual(1024, h.max_payload)
        self.assertEqual(50, h.min_interval_ms)
        self.assertEqual(1024, h.history_capacity)
        self.assertTrue(h.control)  # loopback TCP and UART may control
        self.assertNotEqual(0, h.run_id)

    def test_a_trusted_peer_with_a_stray_token_keeps_control_quietly(self):
        r = self.connect().hello(token=b"not-the-token")
        self.assertEqual(S.OK, r.status.code)
        self.assertTrue(r.hello.control)
        self.assertEqual("", r.status.message)

    def test_wrong_version_is_invalid_argument_and_session_stays_closed(self):
        c = self.connect()
        self.assertEqual(S.INVALID_ARGUMENT, c.hello(version=2).status.code)
        r = c.call(get_sample=pb.GetSampleRequest())
        self.assertEqual(S.FAILED_PRECONDITION, r.status.code)

    def test_get_sample_is_on_demand_with_every_counter(self):
        c = self.connect()
        c.hello()
        s = c.call(get_sample=pb.GetSampleRequest()).sample
        self.assertEqual(0, s.seq)
        self.assertTrue(s.HasField("gc"))
        self.assertEqual(4 * 1024 * 1024, s.gc.mem_alloc + s.gc.mem_free)
        self.assertEqual(512 * 1024 * 1024, s.sys_total)
        for pool in ("sys_heap", "sys_page", "sys_mmz"):
            self.assertTrue(s.HasField(pool), pool)
            m = getattr(s, pool)
            self.assertEqual(m.total, m.used + m.free, pool)

    def test_unknown_call_is_unimplemented(self):
        c = self.connect()
        c.hello()
        # Request{id=77, field 99 (a call from the future) = empty message}
        raw = bytes([0x08, 77]) + bytes([0x9A, 0x06, 0x00])
        c.send_raw(w.frame(bytes([0x0A, len(raw)]) + raw))
        self.assertEqual(S.UNIMPLEMENTED, c.response(77).status.code)

    def test_negative_interval_is_invalid_argument(self):
        c = self.connect()
        c.hello()
        # SubscribeRequest{interval_ms = -1 as a 10-byte varint}: what a
        # client that sends a signed value produces.
        sub = bytes([0x08]) + b"\xff" * 9 + b"\x01"
        req = bytes([0x08, 78, 0x3A, len(sub)]) + sub
        c.send_raw(w.frame(bytes([0x0A, len(req)]) + req))
        self.assertEqual(S.INVALID_ARGUMENT, c.response(78).status.code)
        # the session survives
        self.assertEqual(S.OK,
                         c.call(get_sample=pb.GetSampleRequest()).status.code)

    def test_request_id_zero_is_invalid_argument(self):
        c = self.connect()
        p = pb.Packet()
        p.request.id = 0
        p.request.get_sample.SetInParent()
        c.send_packet(p)
        self.assertEqual(S.INVALID_ARGUMENT, c.response(0).status.code)

    def test_threshold_is_stored_in_32_byte_blocks_and_disables(self):
        c = self.connect()
        c.hello()
        r = c.call(set_threshold=pb.SetThresholdRequest(bytes=1000))
        self.assertEqual(S.OK, r.status.code)
        self.assertEqual(992, r.sample.gc.threshold)
        s = c.call(get_sample=pb.GetSampleRequest()).sample
        self.assertEqual(992, s.gc.threshold)
        r = c.call(set_threshold=pb.SetThresholdRequest(bytes=65536))
        self.assertEqual(65536, r.sample.gc.threshold)
        r = c.call(set_threshold=pb.SetThresholdRequest(bytes=-7))
        self.assertEqual(-1, r.sample.gc.threshold)

    def test_enable_and_disable_are_reported(self):
        c = self.connect()
        c.hello()
        r = c.call(set_enabled=pb.SetEnabledRequest(enabled=False))
        self.assertFalse(r.sample.gc.enabled)
        r = c.call(set_enabled=pb.SetEnabledRequest(enabled=True))
        self.assertTrue(r.sample.gc.enabled)

    def test_collect_frees_garbage_and_reports_the_drop(self):
        c = self.connect()
        c.hello()
        before = c.call(get_sample=pb.GetSampleRequest()).sample.gc
        r = c.call(collect=pb.CollectRequest())
        self.assertEqual(S.OK, r.status.code)
        col = r.collect
        self.assertGreater(col.duration_us, 0)
        self.assertEqual(0, col.after.seq)
        self.assertGreaterEqual(col.freed_bytes, 0)
        self.assertEqual(before.collections + 1, col.after.gc.collections)
        self.assertLessEqual(col.after.gc.largest_free, col.after.gc.mem_free)

    def test_subscribe_streams_increasing_seq_and_unsubscribe_stops_it(self):
        c = self.connect()
        c.hello()
        r = c.call(subscribe=pb.SubscribeRequest(interval_ms=50))
        self.assertEqual(S.OK, r.status.code)
        sub = r.subscribed
        self.assertEqual(50, sub.interval_ms)
        ev = c.events(sub.subscription, 5)
        seqs = [e.seq for e in ev]
        self.assertEqual(sub.first_seq, seqs[0])
        self.assertEqual(list(range(seqs[0], seqs[0] + 5)), seqs)
        r = c.call(unsubscribe=pb.UnsubscribeRequest(
            subscription=sub.subscription))
        self.assertEqual(S.OK, r.status.code)
        time.sleep(0.3)
        c.packets.clear()
        with self.assertRaises(TimeoutError):
            c.wait(lambda p: p.WhichOneof("kind") == "event", 0.4)

    def test_granted_interval_is_a_multiple_of_the_sampler_period(self):
        c = self.connect()
        c.hello()
        sub = c.call(subscribe=pb.SubscribeRequest(interval_ms=120)).subscribed
        self.assertEqual(150, sub.interval_ms)
        ev = c.events(sub.subscription, 3)
        self.assertEqual([3, 3], [b.seq - a.seq for a, b in zip(ev, ev[1:])])
        too_long = c.call(subscribe=pb.SubscribeRequest(interval_ms=86400001))
        self.assertEqual(S.INVALID_ARGUMENT, too_long.status.code)

    def test_fifth_subscription_is_resource_exhausted(self):
        c = self.connect()
        c.hello()
        for _ in range(4):
            r = c.call(subscribe=pb.SubscribeRequest(interval_ms=1000))
            self.assertEqual(S.OK, r.status.code)
        r = c.call(subscribe=pb.SubscribeRequest(interval_ms=1000))
        self.assertEqual(S.RESOURCE_EXHAUSTED, r.status.code)

    def test_unsubscribe_unknown_is_invalid_argument(self):
        c = self.connect()
        c.hello()
        r = c.call(unsubscribe=pb.UnsubscribeRequest(subscription=9))
        self.assertEqual(S.INVALID_ARGUMENT, r.status.code)

    def test_history_pages_through_retained_samples(self):
        c = self.connect()
        c.hello()
        time.sleep(0.6)  # ~12 samples at 50 ms
        seqs, nxt = [], 0
        while True:
            h = c.call(get_history=pb.GetHistoryRequest(from_seq=nxt)).history
            self.assertLessEqual(len(h.samples), 4)
            if not h.samples:
                break
            seqs += [s.seq for s in h.samples]
            nxt = h.next_seq
            if len(seqs) > 8:
                break
        self.assertEqual(1, seqs[0])
        self.assertEqual(list(range(1, len(seqs) + 1)), seqs)
        self.assertEqual(1, h.oldest_seq)

    def test_pipelined_requests_are_answered_in_order(self):
        c = self.connect()
        c.hello()
        ids = [c.request(get_sample=pb.GetSampleRequest()) for _ in range(50)]
        got = []
        while len(got) < len(ids):
            p = c.wait(lambda p: p.WhichOneof("kind") == "response")
            got.append(p.response.id)
        self.assertEqual(ids, got)


class TcpCalls(TcpTransport, CallsMixin, unittest.TestCase):
    pass


class PtyCalls(PtyTransport, CallsMixin, unittest.TestCase):
    pass


if __name__ == "__main__":
    GCMOND, PREFIX = w.daemon_command_from_env()
    unittest.main(verbosity=2)
