"""gcmon export under a real Prometheus: three gcmond (sim, different
seeds, 500 ms sampling) behind one `gcmon export`, scraped every second
through /probe with docs/dashboards/prometheus.yml's relabelling. What
Prometheus stores for each board is compared with what `gcmon stat --json`
and `gcmon history --json` report for that board; stopping one daemon must
turn its gcmon_probe_success to 0 while the other two carry on. Also: the
live exposition passes `promtool check metrics`, every query of the
documented Grafana dashboard returns each board's data, the documented
rules and config pass promtool, and the HTTP answers to a scraper's
mistakes.

    GCMON=<gcmon> GCMOND=<gcmond> PROMETHEUS=<prometheus> PROMTOOL=<promtool> \\
        GCMON_PYTHON test_export_prometheus.py

Exits 77 (skipped) without gcmond or prometheus.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "client"))
import clitest as t  # noqa: E402
from exporttest import Exporter, http_get, wait_for  # noqa: E402

INTERVAL_MS = 500
SEEDS = (11, 12, 13)
DOCS = os.path.join(HERE, "..", "..", "docs", "dashboards")
PROMETHEUS = os.environ.get("PROMETHEUS", "")
PROMTOOL = os.environ.get("PROMTOOL", "")


def docs_config(exporter_address, targets):
    """docs/dashboards/prometheus.yml with these boards, this exporter and
    one-second scrapes; the relabelling is kept as documented."""
    with open(os.path.join(DOCS, "prometheus.yml")) as f:
        text = f.read()
    subs = [(r"scrape_interval: 15s", "scrape_interval: 1s"),
            (r"scrape_timeout: 10s", "scrape_timeout: 1s"),
            (r"(?m)^(      - targets:\n)(          - .*\n)+",
             r"\1" + "".join(f"          - {x}\n" for x in targets)),
            (r"127\.0\.0\.1:9230", exporter_address)]
    for pattern, repl in subs:
        text, n = re.subn(pattern, repl, text)
        if n == 0:
            raise AssertionError(f"docs/dashboards/prometheus.yml: no "
                                 f"{pattern!r} (update this test)")
    return text


class Prometheus:
    """Debian's prometheus on a loopback port with a temporary TSDB,
    scraping targets through the exporter's /probe."""

    def __init__(self, exporter_address, targets, workdir):
        self.port = t.free_port()
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(docs_config(exporter_address, targets))
        shutil.copy(os.path.join(DOCS, "gcmon-rules.yml"), workdir)
        self.logfile = open(os.path.join(workdir, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.logfile, stderr=subprocess.STDOUT)
        wait_for("prometheus to be ready", self.ready, timeout=60)

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("prometheus exited: " + self.log())
        try:
            return http_get(f"http://127.0.0.1:{self.port}/-/ready",
                            timeout=2)[0] == 200
        except OSError:
            return False

    def log(self):
        self.logfile.seek(0)
        return self.logfile.read()

    def query(self, q):
        """The API's result for q, evaluated now."""
        status, body = http_get(f"http://127.0.0.1:{self.port}/api/v1/query?"
                                + urllib.parse.urlencode({"query": q}))
        doc = json.loads(body)
        if status != 200 or doc["status"] != "success":
            raise AssertionError(f"query {q}: {status} {body}")
        return doc["data"]["result"]

    def scrape(self, instance, window="5s"):
        """The newest stored scrape of one instance, as (timestamp,
        {name[/pool]: (labels, value)}): every series stored with that
        scrape's timestamp (so all from one exposition), up included.
        (0, {}) before the first."""
        rows = self.query(f'{{__name__=~"gcmon_.+|up",instance="{instance}"}}'
                          f'[{window}]')
        stamps = [float(ts) for r in rows if r["metric"]["__name__"] == "up"
                  for ts, _ in r["values"]]
        if not stamps:
            return 0, {}
        newest = max(stamps)
        got = {}
        for r in rows:
            key = r["metric"]["__name__"]
            if "pool" in r["metric"]:
                key += "/" + r["metric"]["pool"]
            for ts, v in r["values"]:
                if float(ts) == newest:
                    got[key] = (r["metric"], float(v))
        return newest, got

    def value(self, name, instance):
        return self.scrape(instance)[1].get(name, (None, None))[1]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.logfile.close()


class ExportUnderPrometheus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="gcmon-prom-")
        cls.daemons = []
        cls.exporter = cls.prom = None
        try:
            for seed in SEEDS:
                cls.daemons.append(t.wire().Daemon(
                    t.GCMOND, "--source", "sim", "--seed", str(seed),
                    "--interval", str(INTERVAL_MS), prefix=t.PREFIX,
                    listen="127.0.0.1:0"))
            cls.targets = [f"tcp://127.0.0.1:{d.port}" for d in cls.daemons]
            cls.exporter = Exporter()
            cls.prom = Prometheus(cls.exporter.address, cls.targets, cls.dir)
            # A distinct threshold per board: a stable value that proves
            # each instance label carries its own board's figures.
            for i, target in enumerate(cls.targets):
                t.run("threshold", f"{(i + 1) * 64}K", target=target, check=0)
            for target in cls.targets:
                wait_for(f"{target} to be up in Prometheus",
                         lambda x=target: cls.prom.value(
                             "gcmon_probe_success", x) == 1, timeout=30)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = 0
        if cls.prom:
            cls.prom.stop()
        if cls.exporter:
            rc = cls.exporter.stop()
        for d in cls.daemons:
            d.stop()
            if d.proc.stderr:
                d.proc.stderr.close()
        shutil.rmtree(cls.dir, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f"gcmon export exited {rc}: " +
                                 "".join(cls.exporter.log))

    def board_in_prometheus(self, target, not_before_uptime_us):
        """One scrape of a board whose sample is a series sample taken no
        earlier than the given device uptime."""
        def fresh():
            _, got = self.prom.scrape(target)
            up = got.get("gcmon_device_uptime_seconds")
            seq = got.get("gcmon_sample_seq")
            if not up or not seq or seq[1] == 0:
                return None  # not yet a series sample
            if round(up[1] * 1e6) < not_before_uptime_us:
                return None
            return got
        return wait_for(f"a fresh sample of {target} in Prometheus", fresh,
                        timeout=15)

    def test_each_boards_values_equal_gcmon_stat_within_one_sample_period(self):
        for i, target in enumerate(self.targets):
            with self.subTest(target=target):
                before = t.run_json("stat", target=target)
                got = self.board_in_prometheus(
                    target, before["uptime_us"] - INTERVAL_MS * 1000)
                after = t.run_json("stat", target=target)
                info = t.run_json("info", target=target)
                v = {k: val for k, (labels, val) in got.items()}

                # Taken within one sample period of the stat readings.
                uptime = round(v["gcmon_device_uptime_seconds"] * 1e6)
                self.assertGreaterEqual(
                    uptime, before["uptime_us"] - INTERVAL_MS * 1000)
                self.assertLessEqual(uptime, after["uptime_us"])

                # What does not move between samples equals stat exactly.
                for stat in (before, after):
                    self.assertEqual(stat["sys_total"],
                                     v["gcmon_system_memory_bytes"])
                    for pool, name in (("heap", "sys_heap"),
                                       ("page", "sys_page"),
                                       ("mmz", "sys_mmz")):
                        self.assertEqual(stat[name]["total"],
                                         v[f"gcmon_pool_size_bytes/{pool}"])
                    g = stat["gc"]
                    self.assertEqual((i + 1) * 65536, g["threshold"])
                    self.assertEqual(g["threshold"],
                                     v["gcmon_gc_threshold_bytes"])
                    self.assertEqual(int(g["enabled"]), v["gcmon_gc_enabled"])
                    self.assertEqual(g["mem_alloc"] + g["mem_free"],
                                     v["gcmon_gc_allocated_bytes"] +
                                     v["gcmon_gc_free_bytes"])

                # What moves equals the board's own sample of that seq, as
                # gcmon history (the same JSON as stat) reports it.
                seq = int(v["gcmon_sample_seq"])
                hist = t.run_json("history", "--since", str(seq),
                                  target=target)
                s = next(x for x in hist["samples"] if x["seq"] == seq)
                self.assertEqual(s["uptime_us"], uptime)
                for pool, name in (("heap", "sys_heap"), ("page", "sys_page"),
                                   ("mmz", "sys_mmz")):
                    self.assertEqual(s[name]["used"],
                                     v[f"gcmon_pool_used_bytes/{pool}"])
                    self.assertEqual(s[name]["free"],
                                     v[f"gcmon_pool_free_bytes/{pool}"])
                for key, metric in (("mem_alloc", "gcmon_gc_allocated_bytes"),
                                    ("mem_free", "gcmon_gc_free_bytes"),
                                    ("largest_free",
                                     "gcmon_gc_largest_free_bytes"),
                                    ("collections",
                                     "gcmon_gc_collections_total")):
                    self.assertEqual(s["gc"][key], v[metric], key)

                labels = got["gcmon_info"][0]
                self.assertEqual(info["daemon"], labels["daemon"])
                self.assertEqual(info["source"], labels["source"])
                self.assertEqual(info["device_id"], labels["device"])
                self.assertEqual(info['run_id'], labels["run_id"])
                self.assertEqual(INTERVAL_MS / 1000,
                                 v["gcmon_sample_interval_seconds"])
                self.assertEqual(1, v["gcmon_link_up"])
                self.assertEqual(0, v["gcmon_link_crc_errors_total"])

    def test_the_live_exposition_passes_promtool(self):
        if not PROMTOOL:
            self.skipTest("promtool not found")
        down = f"tcp://127.0.0.1:{t.free_port()}"
        for path in ("/probe?target=" + urllib.parse.quote(self.targets[0]),
                     "/probe?target=" + urllib.parse.quote(down),
                     "/metrics"):
            status, body = self.exporter.get(path)
            self.assertEqual(200, status, path)
            p = subprocess.run([PROMTOOL, "check", "metrics"], input=body,
                               capture_output=True, text=True)
            self.assertEqual(0, p.returncode, f"{path}: {p.stdout}{p.stderr}")

    def test_every_grafana_query_returns_data_for_every_board(self):
        with open(os.path.join(DOCS, "gcmon-grafana.json")) as f:
            dash = json.load(f)
        exprs = [tg["expr"] for p in dash["panels"] for tg in p["targets"]]
        self.assertGreater(len(exprs), 10)
        for expr in exprs:
            q = expr.replace("$instance", ".*").replace("$__rate_interval",
                                                        "5s")
            with self.subTest(expr=expr):
                rows = wait_for(f"data for {q}", lambda q=q: self.prom.query(
                    q), timeout=10)
                if "sum(" in q or "count(" in q:
                    continue  # one figure for the fleet
                got = {r["metric"].get("instance") for r in rows}
                self.assertEqual(set(self.targets), got)

    def test_the_grafana_restart_annotation_is_a_valid_query(self):
        with open(os.path.join(DOCS, "gcmon-grafana.json")) as f:
            dash = json.load(f)
        ann = [a for a in dash["annotations"]["list"]
               if a["name"] == "Daemon restarts"]
        self.assertEqual(1, len(ann))
        self.assertIn("gcmon_sample_seq", ann[0]["expr"])
        # no restart here: a valid query with nothing to mark
        self.assertEqual([], self.prom.query(
            ann[0]["expr"].replace("$instance", ".*")))

    def test_every_rule_has_a_severity_and_a_description(self):
        with open(os.path.join(DOCS, "gcmon-rules.yml")) as f:
            text = f.read()
        rules = text.count("- alert:")
        self.assertGreaterEqual(rules, 5)
        self.assertEqual(rules, len(re.findall(
            r"severity: (critical|warning|info)\n", text)))
        self.assertEqual(rules, text.count("description: >-"))

    def test_the_documented_rules_and_config_pass_promtool(self):
        if not PROMTOOL:
            self.skipTest("promtool not found")
        for args in (["check", "rules", os.path.join(DOCS, "gcmon-rules.yml")],
                     ["check", "config", os.path.join(DOCS, "prometheus.yml")]):
            p = subprocess.run([PROMTOOL] + args, capture_output=True,
                               text=True)
            self.assertEqual(0, p.returncode, p.stdout + p.stderr)

    def test_an_unreachable_board_is_http_200_with_probe_success_0(self):
        down = f"tcp://127.0.0.1:{t.free_port()}"
        status, body = self.exporter.probe(down)
        self.assertEqual(200, status)
        self.assertIn("gcmon_probe_success 0\n", body)
        self.assertRegex(body, rf"# gcmon: {re.escape(down)}: .*refused")
        self.assertNotIn("gcmon_gc_allocated_bytes", body)

    def test_scraper_mistakes_get_4xx_with_the_reason(self):
        status, body = self.exporter.get("/probe")
        self.assertEqual(400, status)
        self.assertIn("missing target", body)
        status, body = self.exporter.probe("tcp://k230:99999")
        self.assertEqual(400, status)
        self.assertIn("port must be a number from 1 to 65535", body)
        status, body = self.exporter.probe("tcp://k230\n.lan")
        self.assertEqual(400, status)
        self.assertIn("control character", body)
        status, body = self.exporter.probe("serial:///dev/ttyS0")
        self.assertEqual(403, status)
        self.assertIn("listed with -t", body)
        self.assertEqual(404, self.exporter.get("/nothing")[0])

    def test_zz_stopping_one_daemon_turns_only_its_probe_success_to_0(self):
        # Runs last (unittest sorts by name): it takes a board away.
        gone, rest = self.targets[1], [self.targets[0], self.targets[2]]
        seq_before = {x: self.prom.value("gcmon_sample_seq", x) for x in rest}
        stopped_at = time.time()
        self.assertEqual(0, self.daemons[1].stop())

        def scraped_since_stop(target):
            ts, got = self.prom.scrape(target)
            return got if ts > stopped_at + 0.1 else None

        got = wait_for("a scrape of the stopped board",
                       lambda: scraped_since_stop(gone), timeout=15)
        got = wait_for("its probe_success to be 0", lambda: (
            lambda g: g if g and g["gcmon_probe_success"][1] == 0 else None)(
                scraped_since_stop(gone)), timeout=15)
        # The exporter answered that scrape (HTTP 200, up 1) and said why.
        self.assertEqual(1, got["up"][1])
        self.assertEqual(0, got["gcmon_link_up"][1])
        self.assertNotIn("gcmon_gc_allocated_bytes", got)
        self.assertNotIn("gcmon_pool_used_bytes/mmz", got)
        # The others carry on: scraped after the stop, up, newer samples.
        for x in rest:
            after = wait_for(f"{x} scraped after the stop", lambda x=x: (
                lambda g: g if g and g["gcmon_sample_seq"][1] > seq_before[x]
                else None)(scraped_since_stop(x)), timeout=15)
            self.assertEqual(1, after["gcmon_probe_success"][1], x)
            self.assertEqual(1, after["gcmon_link_up"][1], x)


if __name__ == "__main__":
    t.setup_from_env()
    if not PROMETHEUS or not os.path.exists(PROMETHEUS):
        print("prometheus is not installed: skipping", file=sys.stderr)
        sys.exit(t.SKIP)
    unittest.main(verbosity=2)
