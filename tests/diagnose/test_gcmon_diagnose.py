"""gcmon diagnose end to end: a gcmond running a sim scenario faster than
real time (--speed), diagnosed live (--for) and from a history CSV (--csv),
with the exit status a CI rig acts on (0 healthy, 3 findings, 1 error,
2 usage); and the --html report rendered by headless Chromium: the
screenshot has drawn charts and the page logs no console message.
Chromium missing: the HTML test is skipped (scripts/deps.sh installs it)."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "client"))
import clitest  # noqa: E402

# 20 simulated seconds at a 50 ms interval, in 2.5 s of real time.
SPEED = "8"
FOR = "2.5s"


def findings(doc):
    out = []
    for pool, checks in doc["pools"].items():
        for name, check in checks.items():
            if isinstance(check, dict) and check.get("state") == "finding":
                out.append(f"{pool}.{name}")
    return sorted(out)


def scenario_daemon(name, seed=11):
    return clitest.Daemon("--scenario", name, "--speed", SPEED, "--seed",
                          str(seed), "--history", "100000", interval=50)


def read_png(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows


def near(px, rgb, tol=40):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


def live(scenario, *extra):
    """gcmon diagnose --for FOR on a fresh gcmond running scenario."""
    d = scenario_daemon(scenario)
    try:
        return clitest.run("diagnose", "--for", FOR, *extra,
                           target=f"tcp://127.0.0.1:{d.port}", timeout=30)
    finally:
        d.stop()


def history_csv(scenario, path):
    """The history of a gcmond that ran scenario for FOR, as a CSV."""
    d = scenario_daemon(scenario)
    try:
        time.sleep(float(FOR[:-1]))
        with open(path, "w") as f:
            subprocess.run(clitest.PREFIX + [clitest.GCMON, "-t",
                           f"tcp://127.0.0.1:{d.port}", "history", "--csv"],
                           stdout=f, check=True, timeout=30)
    finally:
        d.stop()


class Live(unittest.TestCase):
    """Four boards watched at once (each its own gcmond), so the suite
    waits FOR once."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gcmon-diagnose-")
        cls.html = os.path.join(cls.tmp, "report.html")
        cls.csv = os.path.join(cls.tmp, "ring.csv")
        jobs = {
            "mmz": lambda: live("mmz-leak", "--json"),
            "steady": lambda: live("steady"),
            "gc": lambda: live("gc-leak", "--html", cls.html),
            "page": lambda: history_csv("page-leak", cls.csv),
        }
        with ThreadPoolExecutor(len(jobs)) as pool:
            futures = {k: pool.submit(f) for k, f in jobs.items()}
            cls.result = {k: f.result() for k, f in futures.items()}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_live_mmz_leak_is_found_and_exits_3(self):
        p = self.result["mmz"]
        self.assertEqual(p.returncode, 3, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(findings(doc), ["sys_mmz.leak"])
        self.assertEqual(doc["verdict"], "findings")
        self.assertGreater(doc["pools"]["sys_mmz"]["leak"]["bytes_per_min"], 0)

    def test_live_steady_is_healthy_and_exits_0(self):
        p = self.result["steady"]
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("healthy", p.stdout)
        self.assertNotIn("LEAK", p.stdout)

    def test_history_csv_page_leak_per_run(self):
        # A run is 2 s of the board's time: 0.25 s of ours at --speed 8.
        p = clitest.run("diagnose", "--csv", self.csv, "--run-period",
                        "250ms", "--json")
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        found = findings(doc)
        pauses = doc["pools"]["gc"]["pauses"]
        if os.environ.get("GCMON_VALGRIND") == "1" and "gc.pauses" in found \
                and not pauses.get("pause_known"):
            # Under memcheck the sim runs ~20x slower than its --speed 8
            # clock, and a history CSV has no pauses, so the gc verdict is
            # the collection rate alone, which that distorts (seen once:
            # a rate finding beside the right leak). The exact verdict is
            # checked in every other mode.
            found.remove("gc.pauses")
        self.assertEqual(found, ["sys_page.leak"], pauses)
        per_run = doc["pools"]["sys_page"]["leak"]["bytes_per_run"]
        self.assertTrue(256 * 1024 < per_run < 2048 * 1024, per_run)

    def test_html_report_renders_in_chromium(self):
        chromium = shutil.which("chromium")
        if not chromium:
            self.skipTest("chromium not installed (scripts/deps.sh)")
        self.assertEqual(self.result["gc"].returncode, 3,
                         self.result["gc"].stderr)
        html = self.html
        text = open(html, encoding="utf-8").read()
        self.assertEqual(text.count("<svg"), 4)
        for banned in ("<script", "http://", "https://", "src="):
            self.assertNotIn(banned, text.replace(
                'xmlns="http://www.w3.org/2000/svg"', ""))
        png = os.path.join(self.tmp, "shot.png")
        r = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run",
             "--user-data-dir=" + os.path.join(self.tmp, "profile"),
             "--enable-logging=stderr", "--v=0", "--window-size=1000,1500",
             "--screenshot=" + png, "file://" + html],
            capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        consoles = [l for l in r.stderr.splitlines() if "CONSOLE" in l]
        self.assertEqual(consoles, [])
        w, h, rows = read_png(png)
        self.assertEqual((w, h), (1000, 1500))
        # The gc chart (the first, top of the page): drawn series pixels.
        top = rows[120:420]
        red = sum(near(px, (0xc0, 0x39, 0x2b)) for row in top for px in row)
        blue = sum(near(px, (0x24, 0x71, 0xa3)) for row in top for px in row)
        green = sum(near(px, (0x1e, 0x84, 0x49)) for row in top for px in row)
        self.assertGreater(red, 300)
        self.assertGreater(blue, 300)
        self.assertGreater(green, 150)
        # The finding row is highlighted.
        pink = sum(near(px, (0xfa, 0xdb, 0xd8), 6) for row in rows
                   for px in row)
        self.assertGreater(pink, 2000)


class Offline(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="gcmon-diagnose-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_gcmond_refuses_bad_scenario_flags(self):
        for args in (["--scenario", "nope"], ["--speed", "0"],
                     ["--source", "linux", "--scenario", "steady"],
                     ["--source", "linux", "--speed", "4"]):
            p = subprocess.run(clitest.PREFIX + [clitest.GCMOND] + args,
                               capture_output=True, text=True, timeout=10)
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn("usage: gcmond", p.stderr)

    def test_bad_input(self):
        p = clitest.run("diagnose")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        p = clitest.run("diagnose", "--csv", "x.csv", "--for", "1s")
        self.assertEqual(p.returncode, 2)
        p = clitest.run("diagnose", "--for", "soon")
        self.assertEqual(p.returncode, 2)
        p = clitest.run("diagnose", "--csv", os.path.join(self.tmp, "none"))
        self.assertEqual(p.returncode, 1)
        bad = os.path.join(self.tmp, "bad.csv")
        with open(bad, "w") as f:
            f.write("event,uptime_us,gc.mem_alloc\nsample,1000,12\n"
                    "sample,2000,zz\n")
        p = clitest.run("diagnose", "--csv", bad)
        self.assertEqual(p.returncode, 1)
        self.assertIn("line 3", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def insight_csv(self):
        """A CSV with the columns and rows protocol 1.1 adds: watermarks,
        collection records with pauses, an alarm raised and cleared."""
        path = os.path.join(self.tmp, "insight.csv")
        with open(path, "w") as f:
            f.write("event,uptime_us,gc.mem_alloc,gc.mem_free,gc.collections,"
                    "gc.largest_free,watermarks.gc.min_free,sys_mmz.total,"
                    "sys_mmz.used,sys_mmz.free,watermarks.sys_mmz.min_free,"
                    "pause_us,alarm,raised\n")
            for i in range(300):
                t = 1000000 + i * 100000
                wm = (100 << 20) - (8 << 20) if i % 60 == 30 else 100 << 20
                f.write(f"sample,{t},{1 << 20},{3 << 20},{i // 10},{2 << 20},"
                        f"{(3 << 20) - 4096},{256 << 20},{156 << 20},"
                        f"{100 << 20},{wm},,,\n")
                if i % 10 == 5:
                    f.write(f"collection,{t},,,,,,,,,,{1500 + i},,\n")
            f.write("alarm,8000000,,,,,,,,,,,7,1\nalarm,15000000,,,,,,,,,,,7,0\n")
        return path

    def test_insight_columns_in_a_csv(self):
        html = os.path.join(self.tmp, "insight.html")
        p = clitest.run("diagnose", "--csv", self.insight_csv(), "--json",
                        "--html", html)
        self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(findings(doc), ["sys_mmz.spikes"])
        spikes = doc["pools"]["sys_mmz"]["spikes"]
        self.assertTrue(spikes["from_watermarks"])
        self.assertEqual(spikes["count"], 5)
        pauses = doc["pools"]["gc"]["pauses"]
        self.assertTrue(pauses["pause_known"])
        self.assertEqual(pauses["max_us"], 1500 + 295)
        text = open(html, encoding="utf-8").read()
        self.assertIn("<polygon", text)  # the watermark band
        self.assertIn("<title>alarm 7</title>", text)


if __name__ == "__main__":
    clitest.setup_from_env()
    unittest.main(verbosity=2)
