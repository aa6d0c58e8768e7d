"""Memory insight end to end: `gcmon alarm add|list|rm` against a real
gcmond, rules that stay after gcmon exits, alarm events in `record` and
`watch`, and the new calls and events as an independent decoder (Python
protobuf, tests/daemon/gcmonwire.py) sees them on the wire.
"""
import json
import os
import subprocess
import time
import unittest

import clitest as t


class Insight(unittest.TestCase):
    def setUp(self):
        self.daemon = t.Daemon(interval=20)
        self.target = f"tcp://127.0.0.1:{self.daemon.port}"

    def tearDown(self):
        self.assertEqual(0, self.daemon.stop(), self.daemon.log())

    def gcmon(self, *args, check=0):
        return t.run(*args, target=self.target, check=check)

    def independent(self):
        c = self.daemon.client()
        self.addCleanup(c.close)
        return c

    def alarms(self):
        return self.independent().call(
            list_alarms=t.pb().ListAlarmsRequest()).alarms.alarms

    def test_alarm_add_list_rm_and_the_rule_outlives_gcmon(self):
        got = json.loads(self.gcmon(
            "alarm", "add", "sys_mmz.used", "above", "1M",
            "hysteresis=64K", "hold=40ms", "name=mmz-high", "--json").stdout)
        self.assertEqual("mmz-high", got["name"])
        self.assertEqual(1 << 20, got["level"])
        self.assertRegex(got["owner"], r"^gcmon@tcp:127\.0\.0\.1:\d+$")
        # gcmon has exited: the daemon still holds the rule ...
        rules = self.alarms()
        self.assertEqual(1, len(rules))
        r = rules[0].rule
        self.assertEqual((got["id"], "mmz-high", 64 << 10, 40),
                         (r.id, r.name, r.hysteresis, r.hold_ms))
        self.assertEqual(t.pb().AlarmRule.SYS_MMZ, r.pool)
        # ... and raises it: MMZ use is always above 1 MiB in the sim
        deadline = time.monotonic() + 5
        while not self.alarms()[0].active:
            self.assertLess(time.monotonic(), deadline, "never raised")
            time.sleep(0.05)
        listed = json.loads(self.gcmon("alarm", "list", "--json").stdout)
        self.assertEqual(True, listed["alarms"][0]["active"])
        self.assertRegex(self.gcmon("alarm", "list").stdout,
                         r"mmz-high\s+sys_mmz\s+used\s+above")
        self.gcmon("alarm", "rm", str(got["id"]))
        self.assertEqual(0, len(self.alarms()))
        p = self.gcmon("alarm", "rm", str(got["id"]), check=1)
        self.assertIn("no alarm", p.stderr)

    def test_alarm_usage_errors_are_exit_2(self):
        for args in (["alarm"], ["alarm", "frob"],
                     ["alarm", "add", "gc.frag", "below", "1K"],
                     ["alarm", "add", "gc.free", "under", "1K"],
                     ["alarm", "add", "gc.free", "below", "lots"],
                     ["alarm", "add", "gc.free", "below", "1K", "hold=x"],
                     ["alarm", "rm", "zero"]):
            p = self.gcmon(*args, check=2)
            self.assertIn("gcmon alarm --help", p.stderr + p.stdout, args)

    def test_a_rule_the_source_cannot_evaluate_is_unavailable(self):
        p = self.gcmon("alarm", "add", "sys_page.fragmentation", "above",
                       "30%", check=1)
        self.assertIn("unavailable", p.stderr)

    def test_record_and_watch_show_alarm_events_with_their_sample(self):
        rec = t.start("record", "--json", "-", target=self.target)
        watch = t.start("watch", "--json", target=self.target)
        # alarm events are live only: add the rule once both stream
        firsts = [rec.stdout.readline(), watch.stdout.readline()]
        self.gcmon("alarm", "add", "sys_mmz.used", "above", "1M")
        time.sleep(0.4)
        _, rec_out, _ = t.interrupt(rec)
        _, watch_out, _ = t.interrupt(watch)
        for first, out in zip(firsts, (rec_out, watch_out)):
            out = first + out
            rows = [json.loads(line) for line in out.splitlines()]
            alarms = [r for r in rows if r.get("event") == "alarm"]
            self.assertEqual(1, len(alarms), out[:400])  # raised once
            a = alarms[0]
            self.assertEqual(True, a["raised"])
            self.assertGreater(a["value"], 1 << 20)
            self.assertEqual(a["value"], a["sys_mmz"]["used"])

    def test_the_library_calls_and_events_match_the_daemon(self):
        p = subprocess.run(t.PREFIX + [os.environ["GCMON_INSIGHT_PROBE"],
                                       self.target],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(0, p.returncode, p.stderr + p.stdout)
        rows = [line.split() for line in p.stdout.splitlines()]
        by = {}
        for r in rows:
            by.setdefault(r[0], []).append(r[1:])
        freed, duration = by["collect"][0]
        remote = [r for r in by["record"] if r[1] == "remote"]
        self.assertEqual([[duration, freed]], [r[2:] for r in remote])
        P = t.pb()
        independent = self.independent().call(
            get_collections=P.GetCollectionsRequest()).collections.records
        self.assertEqual([r[0] for r in by["record"]],
                         [str(x.number) for x in independent][:len(
                             by["record"])])
        frm, to, _ = by["window"][0]
        self.assertLessEqual(int(frm), int(to))
        alarm_id, owner = by["alarm"][0]
        self.assertRegex(owner, r"^probe@tcp:127\.0\.0\.1:\d+$")
        self.assertIn(["alarm", alarm_id, "1"], by["event"])
        self.assertEqual([[alarm_id, "1"]], by["listed"])
        for seq, wfrom, wto, min_free, mem_free in by["sample"][1:]:
            self.assertEqual(seq, wto)
            self.assertEqual(5, int(wto) - int(wfrom) + 1)  # 100 ms / 20 ms
            self.assertLessEqual(int(min_free), int(mem_free))

    def test_watermarks_collections_on_the_wire(self):
        P = t.pb()
        c = self.independent()
        sub = c.call(subscribe=P.SubscribeRequest(
            interval_ms=200, watermarks=True, collections=True))
        self.assertEqual(0, sub.status.code, sub.status.message)
        sid = sub.subscribed.subscription
        r = c.call(collect=P.CollectRequest())
        self.assertEqual(0, r.status.code)
        seen_collection = None
        samples = 0
        deadline = time.monotonic() + 5
        while samples < 3 or seen_collection is None:
            self.assertLess(time.monotonic(), deadline)
            p = c.wait(lambda p: p.WhichOneof("kind") == "event"
                       and p.event.subscription == sid)
            e = p.event
            if e.WhichOneof("body") == "collection":
                seen_collection = e.collection
            elif e.WhichOneof("body") == "sample":
                samples += 1
                w = e.watermarks
                self.assertTrue(e.HasField("watermarks"))
                self.assertEqual(e.sample.seq, w.to_seq)
                self.assertLessEqual(w.gc.min_free, e.sample.gc.mem_free)
                self.assertGreaterEqual(w.sys_mmz.max_used,
                                        e.sample.sys_mmz.used)
                if samples > 1:  # a whole 200 ms window of 20 ms ticks
                    self.assertEqual(10, w.to_seq - w.from_seq + 1)
        self.assertEqual(P.CollectionRecord.REMOTE, seen_collection.cause)
        self.assertEqual(r.collect.duration_us, seen_collection.pause_us)
        self.assertEqual(r.collect.freed_bytes, seen_collection.freed_bytes)
        got = c.call(get_collections=P.GetCollectionsRequest())
        self.assertIn(P.CollectionRecord.REMOTE,
                      [x.cause for x in got.collections.records])
        win = c.call(get_watermarks=P.GetWatermarksRequest())
        self.assertGreater(win.watermarks.values.to_seq, 0)


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main()
