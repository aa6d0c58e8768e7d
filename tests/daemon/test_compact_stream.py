"""The compact sample stream end to end (protocol 1.1), against gcmond on
the sim source, read by an independent decoder written from
docs/protocol.md (compactwire.py) and compared field by field with what
the v1 encoding of the same daemon says about the same seqs.

- hello: a v1 hello gets no 1.1 field; a 1.1 hello asking for compact gets
  minor 1 and the grant;
- a compact subscription (replay, then live) delivers SampleBatch events
  only, every seq once, equal to get_history's full samples;
- get_history with compact answers one self-contained batch;
- keyframe: the next batch opens with a keyframe; unknown stream refused;
- a subscription that asks for watermarks is served full samples;
- over a serial cable, the gcmon CLI downloads history compact by default
  and gives the same rows as with ?compact=0.

Run by ctest with GCMOND (and GCMON for the CLI part) in the environment.
"""
import json
import os
import subprocess
import tempfile
import time
import unittest

import compactwire
import gcmonwire as w
import gcmon_pb2 as pb
from google.protobuf import json_format

GCMOND = None
PREFIX = []
GCMON = os.environ.get("GCMON", "")


def as_dict(sample):
    return json_format.MessageToDict(sample, preserving_proto_field_name=True)


def hello11(c, latency=100):
    return c.call(hello=pb.HelloRequest(
        version=1, minor=1, client="compact-test",
        compact=pb.CompactParams(max_latency_ms=latency)))


def v1_history(c, first, last):
    """Full samples first..last through v1 get_history."""
    out, nxt = {}, first
    while nxt <= last:
        h = c.call(get_history=pb.GetHistoryRequest(from_seq=nxt)).history
        if not h.samples:
            break
        for s in h.samples:
            if s.seq <= last:
                out[s.seq] = s
        nxt = h.next_seq
    return out


class CompactStream(unittest.TestCase):
    def setUp(self):
        self.d = w.Daemon(GCMOND, "--interval", "10", "--history", "4096",
                          "--seed", "11", prefix=PREFIX)
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        self.assertEqual(0, self.d.stop(), self.d.log_text())

    def client(self):
        c = w.Client.tcp(self.d.port)
        self.clients.append(c)
        return c

    def test_v1_hello_gets_no_new_fields_and_11_gets_the_grant(self):
        v1 = self.client().hello().hello
        self.assertEqual(0, v1.minor)
        self.assertFalse(v1.HasField("compact"))
        r = hello11(self.client(), latency=250).hello
        self.assertEqual(1, r.minor)
        self.assertTrue(r.HasField("compact"))
        self.assertEqual(250, r.compact.max_latency_ms)
        self.assertEqual(64, r.compact.keyframe_every)
        plain = self.client().call(hello=pb.HelloRequest(version=1, minor=1))
        self.assertEqual(1, plain.hello.minor)
        self.assertFalse(plain.hello.HasField("compact"))

    def test_subscription_batches_equal_full_samples(self):
        time.sleep(0.5)
        c = self.client()
        hello11(c)
        sub = c.call(subscribe=pb.SubscribeRequest(from_seq=1)).subscribed
        state, got = {}, {}
        deadline = time.monotonic() + 2.0
        batches = 0
        while time.monotonic() < deadline:
            p = c.wait(lambda p: p.WhichOneof("kind") == "event", 5)
            self.assertEqual(sub.subscription, p.event.subscription)
            self.assertEqual("batch", p.event.WhichOneof("body"))
            b = p.event.batch
            self.assertLessEqual(len(b.data), 512)
            for s in compactwire.decode(state, b.first_seq, b.count, b.data):
                self.assertNotIn(s.seq, got)
                got[s.seq] = s
            batches += 1
        seqs = sorted(got)
        self.assertEqual(list(range(1, seqs[-1] + 1)), seqs)
        full = v1_history(self.client_v1(), 1, seqs[-1])
        self.assertEqual(len(got), len(full))
        for seq in seqs:
            self.assertEqual(as_dict(full[seq]), as_dict(got[seq]), seq)
        self.assertLess(batches, len(got) / 3)  # several samples per frame

    def client_v1(self):
        c = self.client()
        c.hello()
        return c

    def test_compact_history_is_one_self_contained_batch(self):
        time.sleep(0.6)
        c = self.client()
        hello11(c)
        h = c.call(get_history=pb.GetHistoryRequest(from_seq=1,
                                                    compact=True)).history
        self.assertEqual(0, len(h.samples))
        self.assertGreater(h.batch.count, 20)
        got = compactwire.decode({}, h.batch.first_seq, h.batch.count,
                                 h.batch.data)
        self.assertEqual(h.batch.first_seq + h.batch.count, h.next_seq)
        full = v1_history(self.client_v1(), 1, got[-1].seq)
        for s in got:
            self.assertEqual(as_dict(full[s.seq]), as_dict(s))
        # max_count bounds it; a v1 session asking compact gets v1 samples
        h = c.call(get_history=pb.GetHistoryRequest(from_seq=5, max_count=3,
                                                    compact=True)).history
        self.assertEqual((5, 3), (h.batch.first_seq, h.batch.count))
        v1 = self.client_v1().call(get_history=pb.GetHistoryRequest(
            from_seq=5, compact=True)).history
        self.assertFalse(v1.HasField("batch"))
        self.assertEqual(4, len(v1.samples))

    def test_keyframe_on_request(self):
        c = self.client()
        hello11(c, latency=20)
        sub = c.call(subscribe=pb.SubscribeRequest()).subscribed.subscription
        # batches that refer back to the stream's keyframe come ...
        for _ in range(60):
            p = c.wait(lambda p: p.WhichOneof("kind") == "event", 5)
            if p.event.batch.data[0] != 0:
                break
        self.assertNotEqual(0, p.event.batch.data[0])
        r = c.call(keyframe=pb.KeyframeRequest(subscription=sub))
        self.assertEqual(0, r.status.code)
        # events that arrived before the answer were sent before the request
        c.packets = [p for p in c.packets if p.WhichOneof("kind") != "event"]
        # ... until one asks: the next batch opens with a keyframe (ref 0)
        p = c.wait(lambda p: p.WhichOneof("kind") == "event", 5)
        self.assertEqual(0, p.event.batch.data[0])
        self.assertEqual(compactwire.decode({}, p.event.batch.first_seq,
                                            p.event.batch.count,
                                            p.event.batch.data)[0].seq,
                         p.event.batch.first_seq)
        bad = c.call(keyframe=pb.KeyframeRequest(subscription=99))
        self.assertEqual(pb.Status.INVALID_ARGUMENT, bad.status.code)

    def test_watermark_subscription_gets_full_samples(self):
        c = self.client()
        hello11(c)
        sub = c.call(subscribe=pb.SubscribeRequest(watermarks=True))
        p = c.wait(lambda p: p.WhichOneof("kind") == "event", 5)
        self.assertEqual("sample", p.event.WhichOneof("body"))
        self.assertEqual(sub.subscribed.subscription, p.event.subscription)


class WorkedExample(unittest.TestCase):
    """docs/protocol.md's example decodes to the samples it describes."""

    def test_spec_example(self):
        data = bytes.fromhex(
            "00030190 4e0506 80b6dc05 d6dc03 aa9b0c aa9b0c 8d8b09 03 f3f416"
            "0101 00 808020 8080808002 070e100f 211168".replace(" ", ""))
        state = {}
        got = compactwire.decode(state, 1000, 3, data)
        got += compactwire.decode(state, 1003, 1, bytes.fromhex("032702121168"))
        want = [(1000, 12000000, 976224, 3201696, 9528128),
                (1001, 12010007, 976480, 3201440, 9528128),
                (1002, 12019998, 976480, 3201440, 9531456),
                (1003, 12030001, 976512, 3201408, 9531456)]
        for s, (seq, up, alloc, largest, used) in zip(got, want):
            self.assertEqual((seq, up, alloc, largest, largest, used,
                              33554432 - used),
                             (s.seq, s.uptime_us, s.gc.mem_alloc,
                              s.gc.largest_free, s.gc.mem_free,
                              s.sys_heap.used, s.sys_heap.free))
            self.assertEqual((-1, True, 3, 536870912, 33554432, 0),
                             (s.gc.threshold, s.gc.enabled, s.gc.collections,
                              s.sys_total, s.sys_heap.total,
                              s.sys_heap.peak_used))
            self.assertFalse(s.HasField("sys_page") or s.HasField("sys_mmz"))
        with self.assertRaises(compactwire.KeyframeMissing):
            compactwire.decode({}, 1003, 1, bytes.fromhex("032702121168"))


@unittest.skipUnless(GCMON, "GCMON (the CLI) not given")
class CompactCli(unittest.TestCase):
    def test_history_over_serial_same_rows_compact_or_not(self):
        with tempfile.TemporaryDirectory() as tmp:
            cable = w.SerialCable(tmp)
            cable.plug()
            self.addCleanup(cable.unplug)
            d = w.Daemon(GCMOND, "--uart", cable.dev, "--interval", "10",
                         "--history", "600", "--seed", "5", prefix=PREFIX,
                         listen="none")
            self.addCleanup(d.stop)
            time.sleep(1.5)
            rows = {}
            for opt in ("", "?compact=0"):
                out = subprocess.run(
                    PREFIX + [GCMON, "-t", f"serial://{cable.host}{opt}",
                              "history", "--json", "--since", "20"],
                    capture_output=True, text=True, timeout=60, check=True)
                # "time" is the host's clock at arrival: not the sample's
                rows[opt] = {s["seq"]: {k: v for k, v in s.items()
                                        if k != "time"}
                             for s in json.loads(out.stdout)["samples"]}
            common = set(rows[""]) & set(rows["?compact=0"])
            self.assertGreater(len(common), 80)
            for seq in common:
                self.assertEqual(rows["?compact=0"][seq], rows[""][seq])
            info = subprocess.run(
                PREFIX + [GCMON, "-t", f"serial://{cable.host}", "info",
                          "--json"],
                capture_output=True, text=True, timeout=30, check=True)
            self.assertTrue(json.loads(info.stdout)["compact"])

    def test_tcp_asks_only_when_told(self):
        d = w.Daemon(GCMOND, "--interval", "100", prefix=PREFIX)
        self.addCleanup(d.stop)
        for opt, want in (("", False), ("?compact=1", True),
                          ("?compact=0", False)):
            out = subprocess.run(
                PREFIX + [GCMON, "-t", f"tcp://127.0.0.1:{d.port}{opt}",
                          "info", "--json"],
                capture_output=True, text=True, timeout=30, check=True)
            self.assertEqual(want, json.loads(out.stdout).get("compact",
                                                              False), opt)


if __name__ == "__main__":
    GCMOND, PREFIX = w.daemon_command_from_env()
    unittest.main(verbosity=2)
