"""gcmon diagnose live on a protocol 1.1 daemon, end to end: it subscribes
with watermarks, collection records and alarm events, so a live verdict has
the gc pause p50/p99/max of the board's collection records, finds MMZ
spikes that lasted one 10 ms sampler tick through the watermarks of a 1 s
subscription (the samples alone miss them), and draws the alarm spans; and
`gcmon record --csv` of the same board, read back by `diagnose --csv`,
gives the same verdicts. One gcmond (sim, scenario spikes, --speed 8,
sampler every 10 ms), about 7 s."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "client"))
import clitest  # noqa: E402


def findings(doc):
    return sorted(f"{pool}.{name}" for pool, checks in doc["pools"].items()
                  for name, check in checks.items()
                  if isinstance(check, dict) and check.get("state") == "finding")


def strip_insight(src, dst):
    """The CSV without what protocol 1.1 adds: watermark columns and
    collection/alarm rows (what a 1.0 daemon's record would hold)."""
    with open(src) as f, open(dst, "w") as g:
        header = f.readline().rstrip("\n").split(",")
        keep = [i for i, n in enumerate(header)
                if not n.startswith("watermarks.")]
        g.write(",".join(header[i] for i in keep) + "\n")
        for line in f:
            if line.startswith(("collection,", "alarm,")):
                continue
            cells = line.rstrip("\n").split(",")
            g.write(",".join(cells[i] for i in keep) + "\n")


class LiveAndRecorded(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gcmon-diag-insight-")
        cls.csv = os.path.join(cls.tmp, "rec.csv")
        cls.html = os.path.join(cls.tmp, "live.html")
        d = clitest.Daemon("--scenario", "spikes", "--speed", "8", "--seed",
                           "5", "--history", "100000", interval=10)
        target = f"tcp://127.0.0.1:{d.port}"
        try:
            st = clitest.run_json("stat", target=target)
            level = st["sys_mmz"]["used"] + (1 << 20)
            clitest.run("alarm", "add", "sys_mmz.used", "above",
                        f"{level // 1024}K", "name=mmz-spike", target=target,
                        check=0)
            env = dict(os.environ, GCMON_TARGET=target)
            env.pop("GCMON_TOKEN", None)
            rec = subprocess.Popen(
                clitest.PREFIX + [clitest.GCMON, "record", "--csv", cls.csv,
                                  "--interval", "1s"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                cls.live = clitest.run("diagnose", "--for", "5.5s",
                                       "--interval", "1s", "--json",
                                       "--html", cls.html, target=target,
                                       timeout=30)
            finally:
                rec.send_signal(signal.SIGINT)
                cls.rec_err = rec.communicate(timeout=10)[1].decode()
                cls.rec_rc = rec.returncode
        finally:
            d.stop()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def diagnose_csv(self, path):
        p = clitest.run("diagnose", "--csv", path, "--json")
        self.assertIn(p.returncode, (0, 3), p.stdout + p.stderr)
        return json.loads(p.stdout)

    def test_live_has_pause_percentiles_from_collection_records(self):
        self.assertEqual(self.live.returncode, 3, self.live.stderr)
        pauses = json.loads(self.live.stdout)["pools"]["gc"]["pauses"]
        self.assertTrue(pauses["pause_known"], pauses)
        # the sim's cost model: 1-3 ms a collection on a 4 MiB heap
        self.assertTrue(500 < pauses["p50_us"] <= pauses["p99_us"]
                        <= pauses["max_us"] < 5000, pauses)

    def test_live_finds_spikes_only_the_watermarks_saw(self):
        live = json.loads(self.live.stdout)
        spikes = live["pools"]["sys_mmz"]["spikes"]
        self.assertEqual(spikes["state"], "finding", spikes)
        self.assertTrue(spikes["from_watermarks"])
        self.assertGreaterEqual(spikes["deepest"], 1 << 20)
        # the same board's samples without the watermarks: not these
        bare = os.path.join(self.tmp, "bare.csv")
        strip_insight(self.csv, bare)
        doc = self.diagnose_csv(bare)
        sampled = doc["pools"]["sys_mmz"]["spikes"]
        self.assertFalse(sampled["from_watermarks"])
        self.assertLess(sampled["count"], spikes["count"], sampled)
        self.assertNotIn("pause_known", [k for k, v in
                         doc["pools"]["gc"]["pauses"].items() if v is True])

    def test_live_html_has_alarm_spans_and_watermark_band(self):
        text = open(self.html, encoding="utf-8").read()
        self.assertIn("<polygon", text)  # the watermark band
        self.assertRegex(text, r"<title>alarm \d+</title>")

    @unittest.skipIf(os.environ.get("GCMON_VALGRIND"),
                     "paced by wall-clock seconds; under valgrind the "
                     "programs run ~20x slower (checked in the other modes)")
    def test_record_csv_gives_the_live_verdicts(self):
        self.assertEqual(self.rec_rc, 0, self.rec_err)
        header = open(self.csv).readline()
        self.assertIn(",watermarks.sys_mmz.min_free,", header)
        self.assertIn(",pause_us,", header)
        rows = open(self.csv).read()
        self.assertIn("\ncollection,", rows)
        self.assertIn("\nalarm,", rows)
        live = json.loads(self.live.stdout)
        doc = self.diagnose_csv(self.csv)
        self.assertEqual(findings(doc), findings(live))
        rp, lp = doc["pools"]["gc"]["pauses"], live["pools"]["gc"]["pauses"]
        self.assertTrue(rp["pause_known"])
        self.assertAlmostEqual(rp["p50_us"], lp["p50_us"],
                               delta=0.2 * lp["p50_us"])
        self.assertTrue(doc["pools"]["sys_mmz"]["spikes"]["from_watermarks"])


if __name__ == "__main__":
    clitest.setup_from_env()
    unittest.main(verbosity=2)
