"""Starting and stopping gcmond without signals (the rtsmart way, also
available on linux): the run file, `gcmond --stop`, no signal handler
installed on rtsmart, the console UART refused there. Runs in both
configurations; in rtsmart under the RT-Smart syscall profile."""
import os
import subprocess
import sys
import tempfile
import time
import unittest

import gcmonwire as w

RTSMART = os.environ.get("GCMON_PLATFORM") == "rtsmart"


def caught_signals(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("SigCgt:"):
                return int(line.split()[1], 16)
    return None


class StartStop(unittest.TestCase):
    def setUp(self):
        self.gcmond, self.prefix = w.daemon_command_from_env()
        self.dir = tempfile.TemporaryDirectory()
        self.run_file = os.path.join(self.dir.name, "gcmond.run")

    def tearDown(self):
        self.dir.cleanup()

    def run_gcmond(self, *args):
        return subprocess.run(self.prefix + [self.gcmond, *args],
                              capture_output=True, text=True, timeout=30)

    def test_stop_removes_the_run_file_and_the_daemon_exits_0(self):
        d = w.Daemon(self.gcmond, "--run-file", self.run_file,
                     prefix=self.prefix)
        try:
            with open(self.run_file) as f:
                self.assertTrue(f.read().strip().isdigit())
            if RTSMART and not self.prefix[:1] == ["qemu-riscv64"]:
                leaf = d.proc.pid
                # the profile launcher execs gcmond: same pid
                self.assertEqual(0, caught_signals(leaf),
                                 "rtsmart gcmond installs no handler")
            p = self.run_gcmond("--stop", "--run-file", self.run_file)
            self.assertEqual((0, ""), (p.returncode, p.stderr))
            t0 = time.monotonic()
            rc = d.proc.wait(5)
            self.assertLess(time.monotonic() - t0, 2.0)
        finally:
            rc = d.stop()
        self.assertEqual(0, rc, d.log_text())
        self.assertIn("removed: shutting down", d.log_text())
        self.assertFalse(os.path.exists(self.run_file))

    @unittest.skipUnless(RTSMART, "the RT-Smart profile wraps rtsmart only")
    def test_rtsmart_gcmond_calls_nothing_rt_smart_lacks(self):
        if not self.prefix or not self.prefix[0].endswith("rtsmart_profile"):
            self.skipTest("not under the RT-Smart profile (cross build)")
        report = os.path.join(self.dir.name, "report")
        os.environ["RTSMART_PROFILE_REPORT"] = report
        try:
            d = w.Daemon(self.gcmond, "--run-file", self.run_file,
                         prefix=self.prefix)
        finally:
            del os.environ["RTSMART_PROFILE_REPORT"]
        c = w.Client.tcp(d.port)
        self.assertEqual(0, c.hello().status.code)
        c.close()
        os.unlink(self.run_file)
        d.proc.wait(5)
        self.assertEqual(0, d.stop(), d.log_text())
        with open(report) as f:
            tried = set(f.read().split())
        # glibc's own start-up probes, which fall back (host-libc-extras.txt)
        tried -= {"set_robust_list", "rseq", "prlimit64"}
        self.assertEqual(set(), tried, "absent calls gcmond tried")

    def test_stop_without_a_running_daemon_says_so(self):
        p = self.run_gcmond("--stop", "--run-file", self.run_file)
        self.assertEqual(1, p.returncode)
        self.assertIn("cannot stop gcmond", p.stderr)
        self.assertIn(self.run_file, p.stderr)

    def test_uart_none_serves_tcp_only(self):
        d = w.Daemon(self.gcmond, "--uart", "none", prefix=self.prefix)
        try:
            c = w.Client.tcp(d.port)
            self.assertEqual(0, c.hello().status.code)
            c.close()
        finally:
            self.assertEqual(0, d.stop(), d.log_text())
        self.assertNotIn("serving uart", d.log_text())

    @unittest.skipUnless(RTSMART, "RT-Smart UART reads")
    def test_uart_reading_nothing_is_idle_not_lost(self):
        # /dev/null reads 0 bytes at once, as an RT-Smart UART without data
        # does (serial.c); that is not a hang-up while the node is there.
        d = w.Daemon(self.gcmond, "--uart", "/dev/null", "--run-file",
                     self.run_file, prefix=self.prefix)
        try:
            time.sleep(1.5)
            with open(f"/proc/{d.proc.pid}/stat") as f:
                ticks = sum(int(x) for x in f.read().rsplit(")", 1)[1]
                            .split()[11:13])
        finally:
            os.unlink(self.run_file)
            d.proc.wait(5)
            self.assertEqual(0, d.stop(), d.log_text())
        log = d.log_text()
        self.assertIn("session open: uart:/dev/null", log)
        self.assertNotIn("device lost", log)
        self.assertLess(ticks / os.sysconf("SC_CLK_TCK"), 0.5,
                        "re-reading an idle UART must not spin")

    @unittest.skipUnless(RTSMART, "RT-Smart's console UART")
    def test_console_uart0_is_refused(self):
        p = self.run_gcmond("--listen", "127.0.0.1:0", "--uart",
                            "/dev/uart0", "--run-file", self.run_file)
        self.assertEqual(1, p.returncode)
        self.assertIn("console", p.stderr)
        self.assertIn("/dev/uart1", p.stderr)

    @unittest.skipIf(RTSMART, "rtsmart has a default run file")
    def test_stop_needs_a_run_file_on_linux(self):
        p = self.run_gcmond("--stop")
        self.assertEqual(2, p.returncode)
        self.assertIn("--run-file", p.stderr)


if __name__ == "__main__":
    sys.exit(unittest.main(verbosity=2))
