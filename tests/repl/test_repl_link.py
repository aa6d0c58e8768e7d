"""Finding the board and saying what answered, against the real
MicroPython REPL on a pty (mprepl): `gcmon ports` and `-t auto` over a
sysfs/dev tree that describes it as a USB CanMV board, the exclusive open
("busy (pid N)"), and the hints when serial:// or tcp:// reach something
that is not gcmond.

    GCMON=<gcmon> python3 test_repl_link.py
"""
import http.server
import json
import os
import subprocess
import tempfile
import threading
import time
import unittest

import mprepl

from mprepl import GCMON, PREFIX, SLOW, gcmon


def fake_usb_tree(root, tty, dev_target, vid, pid, product, manufacturer):
    """sysfs and /dev entries for one USB CDC ACM port, as Linux lays
    them out; /dev/<tty> points at dev_target."""
    usb = os.path.join(root, "sys", "devices", "pci0", "usb1", "1-1")
    intf = os.path.join(usb, "1-1:1.0")
    os.makedirs(os.path.join(intf, "tty", tty), exist_ok=True)
    drivers = os.path.join(root, "sys", "bus", "usb", "drivers", "cdc_acm")
    os.makedirs(drivers, exist_ok=True)
    for name, value in (("idVendor", f"{vid:04x}"), ("idProduct", f"{pid:04x}"),
                        ("product", product), ("manufacturer", manufacturer),
                        ("serial", "0010000001")):
        with open(os.path.join(usb, name), "w") as f:
            f.write(value + "\n")
    os.symlink(drivers, os.path.join(intf, "driver"))
    cls = os.path.join(root, "sys", "class", "tty", tty)
    os.makedirs(cls)
    os.symlink(intf, os.path.join(cls, "device"))
    dev = os.path.join(root, "dev")
    os.makedirs(os.path.join(dev, "serial", "by-id"), exist_ok=True)
    os.symlink(dev_target, os.path.join(dev, tty))
    by_id = os.path.join(dev, "serial", "by-id",
                         f"usb-{manufacturer}_{product}_0010000001-if00")
    os.symlink(os.path.join("..", "..", tty), by_id)
    return by_id


class Link(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.board = mprepl.MicroRepl(cls.dir.name)

    @classmethod
    def tearDownClass(cls):
        cls.board.stop()
        cls.dir.cleanup()

    def test_ports_and_auto_find_the_board(self):
        root = os.path.join(self.dir.name, "host")
        by_id = fake_usb_tree(root, "ttyACM0", self.board.path, 0x1209,
                              0xABD1, "CanMV", "Kendryte")
        env = dict(os.environ, GCMON_SYSFS=os.path.join(root, "sys"),
                   GCMON_DEVDIR=os.path.join(root, "dev"))
        p = gcmon("ports", "--json", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [json.loads(l) for l in p.stdout.splitlines()]
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["usb_id"], "1209:abd1")
        self.assertEqual(rows[0]["by_id"], by_id)
        self.assertTrue(rows[0]["canmv"])
        text = gcmon("ports", env=env).stdout
        self.assertIn("1209:abd1", text)
        # -t auto: the only CanMV board, through its by-id name
        p = gcmon("-t", "auto", "stat", "--json", env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("mem_alloc", json.loads(p.stdout)["gc"])

    def test_auto_without_a_board_lists_candidates(self):
        root = os.path.join(self.dir.name, "other")
        fake_usb_tree(root, "ttyUSB0", "/dev/null", 0x0403, 0x6001,
                      "FT232R USB UART", "FTDI")
        env = dict(os.environ, GCMON_SYSFS=os.path.join(root, "sys"),
                   GCMON_DEVDIR=os.path.join(root, "dev"))
        p = gcmon("-t", "auto", "stat", env=env)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no CanMV board found", p.stderr)
        self.assertIn("FT232R USB UART", p.stderr)

    def test_second_gcmon_on_the_device_is_busy(self):
        first = subprocess.Popen(
            PREFIX + [GCMON, "-t", "repl://" + self.board.path, "watch",
                      "--interval", "100ms"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            first.stdout.readline()  # connected and reading
            t0 = time.monotonic()
            p = gcmon("-t", "repl://" + self.board.path, "stat")
            self.assertEqual(p.returncode, 1)
            self.assertIn(f"busy (pid {first.pid}", p.stderr)
            self.assertLess(time.monotonic() - t0, 2.0 * SLOW, "fails at once")
            p = gcmon("-t", "serial://" + self.board.path, "stat")
            self.assertIn("busy", p.stderr)
        finally:
            first.terminate()
            first.communicate(timeout=10)
        with mprepl.RawRepl(self.board.path) as r:
            self.assertEqual(r.friendly("1+1"), "2")

    def test_serial_target_on_a_repl_suggests_repl(self):
        p = gcmon("-t", "serial://" + self.board.path, "--timeout", "2s",
                  "stat")
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, "MicroPython REPL (answered|at its prompt)")
        self.assertIn("repl://" + self.board.path, p.stderr)
        with mprepl.RawRepl(self.board.path) as r:
            self.assertEqual(r.friendly("1+1"), "2")

    def test_tcp_target_on_a_web_server_says_http(self):
        class Quiet(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass
        srv = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            p = gcmon("-t", f"tcp://127.0.0.1:{srv.server_port}", "--timeout",
                      "2s", "stat")
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertEqual(p.returncode, 1)
        self.assertIn("an HTTP server answered, not gcmond", p.stderr)


if __name__ == "__main__":
    mprepl.test_main()
