"""gcmon watch in a real terminal (a tmux pane on a private tmux server):
the screen shows the pools, the gc, the sparkline and link health with the
daemon's values; q and Ctrl-C end it with exit 0 and the terminal as it
was (normal screen, cursor shown, canonical mode and echo back on). At
80x24 the sparkline states its true span and scale; at 160x48 each pool
has a graph; the keys change the daemon (checked with an independent
client); colour follows NO_COLOR; a lost link dims the figures.

    GCMON=<gcmon> GCMOND=<gcmond> GCMON_PYTHON test_gcmon_watch.py
"""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import clitest as t


class Watch(unittest.TestCase):
    def setUp(self):
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed")
        self.daemon = t.Daemon(interval=50)
        # Cleanups run even when setUp fails below, so no daemon outlives
        # the test (an orphan would hold ctest's output pipe open).
        self.addCleanup(self.stop_daemon)
        self.dir = tempfile.mkdtemp(prefix="gcmon-watch-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        # A tmux server of its own per test: reusing one name right after
        # kill-server can race with the old server's exit.
        self.sock = f"gcmon-test-{os.getpid()}-{os.path.basename(self.dir)}"
        self.exit_file = os.path.join(self.dir, "exit")
        self.stty_file = os.path.join(self.dir, "stty")
        target = f"tcp://127.0.0.1:{self.daemon.port}"
        # The shell survives Ctrl-C (a trap, which gcmon does not inherit)
        # so that it can report gcmon's exit code and the tty settings.
        gcmon = " ".join(t.PREFIX + [t.GCMON])
        script = (f"trap true INT; GCMON_TARGET={target} LANG=C.UTF-8 {gcmon} watch; "
                  f"echo $? > {self.exit_file}; stty -a > {self.stty_file}; "
                  f"sleep 60")
        self.addCleanup(self.tmux, "kill-server", check=False)
        self.tmux("new-session", "-d", "-s", "w", "-x", "120", "-y", "32",
                  "sh", "-c", script)

    def stop_daemon(self):
        self.assertEqual(0, self.daemon.stop(), self.daemon.log())

    def tmux(self, *args, check=True):
        p = subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null"] +
                           list(args), capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"tmux {args}: {p.stderr}")
        return p.stdout

    def screen(self, name="w", escapes=False):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []),
                         "-t", name)

    def launch(self, name, cols, rows, env="", args=""):
        """Another watch of the daemon in a pane of cols x rows."""
        gcmon = " ".join(t.PREFIX + [t.GCMON])
        script = (f"GCMON_TARGET=tcp://127.0.0.1:{self.daemon.port} "
                  f"LANG=C.UTF-8 {env} {gcmon} watch {args}; sleep 60")
        self.tmux("new-session", "-d", "-s", name, "-x", str(cols), "-y",
                  str(rows), "sh", "-c", script)

    def wait_for(self, name, pattern, timeout=15, escapes=False):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen(name, escapes)
            m = re.search(pattern, s)
            if m:
                return s, m
            time.sleep(0.1)
        self.fail(f"{name} never matched {pattern!r}:\n{self.screen(name)}")

    def pane_flags(self):
        out = self.tmux("display", "-p", "-t", "w",
                        "#{alternate_on} #{cursor_flag}").split()
        return {"alternate": out[0] == "1", "cursor": out[1] == "1"}

    def wait_screen(self, pattern, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if re.search(pattern, s):
                return s
            time.sleep(0.1)
        self.fail(f"screen never matched {pattern!r}:\n{self.screen()}")

    def wait_exit(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.stty_file) and \
                    os.path.getsize(self.stty_file) > 0:
                with open(self.exit_file) as f:
                    code = int(f.read())
                with open(self.stty_file) as f:
                    return code, f.read()
            time.sleep(0.1)
        self.fail("gcmon watch did not exit:\n" + self.screen())

    def assert_restored(self, stty):
        flags = self.pane_flags()
        self.assertFalse(flags["alternate"], "still on the alternate screen")
        self.assertTrue(flags["cursor"], "cursor still hidden")
        words = stty.split()
        self.assertIn("icanon", words)
        self.assertIn("echo", words)

    def test_screen_shows_pools_gc_sparkline_and_link_with_daemon_values(self):
        s = self.wait_screen(r"seq \d+.*\[connected\]")
        # a sparkline of 5+ samples, on a screen drawn down to its last
        # line (a slow gcmon, as under valgrind, can be caught mid-draw)
        s = self.wait_screen(r"alloc \S{5,}[\s\S]*crc errors")
        c = self.daemon.client()
        self.addCleanup(c.close)
        hello = c.hello().hello
        want = t.get_sample(c)
        self.assertIn(f"gcmon watch  tcp://127.0.0.1:{self.daemon.port}", s)
        self.assertIn(hello.daemon, s)
        self.assertIn(f"device {hello.device_id}", s)
        self.assertRegex(s, r"gc heap\s+\[[█░]+\]\s+[\d.]+%\s+alloc [\d.]+ "
                            r"(KiB|MiB)\s+free [\d.]+ (KiB|MiB)")
        self.assertRegex(s, r"threshold off\s+enabled yes")
        for pool in ("sys_heap", "sys_page", "sys_mmz"):
            m = getattr(want, pool)
            total = f"{m.total / 1048576:.2f} MiB"
            self.assertRegex(s, rf"{pool}\s+\[[█░]+\].*of {re.escape(total)}")
        self.assertIn("sys_total 512.00 MiB", s)
        self.assertRegex(s, r"link\s+frames in \d+ out \d+\s+crc errors 0")
        self.assertTrue(self.pane_flags()["alternate"])
        self.assertFalse(self.pane_flags()["cursor"])
        self.tmux("send-keys", "-t", "w", "q")
        code, stty = self.wait_exit()
        self.assertEqual(0, code)
        self.assert_restored(stty)

    def test_every_line_fits_an_80_column_terminal_uncut(self):
        self.wait_screen(r"seq \d+.*\[connected\]")
        self.tmux("resize-window", "-t", "w", "-x", "80", "-y", "24")
        # Two redraws after the resize (each sample redraws).
        for _ in range(2):
            # a capture may fall mid-redraw (slow under valgrind): wait
            seq = re.search(r"seq (\d+)",
                            self.wait_screen(r"seq \d+")).group(1)
            s = self.wait_screen(rf"seq (?!{seq}\b)\d+")
        c = self.daemon.client()
        self.addCleanup(c.close)
        want = t.get_sample(c)
        hello = c.hello().hello
        lines = s.splitlines()
        self.assertEqual(80, int(self.tmux("display", "-p", "-t", "w",
                                           "#{pane_width}")))
        for line in lines:
            self.assertLessEqual(len(line), 80, line)
        # Each line's last figure is there in full: nothing was cut.
        for pool in ("sys_heap", "sys_page", "sys_mmz"):
            total = f"{getattr(want, pool).total / 1048576:.2f} MiB"
            self.assertRegex(s, rf"(?m)^{pool}\s+\[[█░]+\]\s+[\d.]+%\s+used "
                                rf"[\d.]+ \w+\s+free [\d.]+ \w+\s+of "
                                rf"{re.escape(total)}$")
        self.assertRegex(s, r"(?m)^gc heap\s+\[[█░]+\]\s+[\d.]+%\s+alloc "
                            r"[\d.]+ \w+\s+free [\d.]+ \w+$")
        for field in (r"threshold off", r"enabled yes", r"collections \d+",
                      r"largest free [\d.]+ \w+", r"frames in \d+ out \d+",
                      r"crc errors 0", r"dropped 0", r"discarded 0 B",
                      r"seq gaps 0 \(0 missed\)", r"reconnects 0",
                      rf"device {re.escape(hello.device_id)}"):
            self.assertRegex(s, rf"(?m)(^|  ){field}(  |$)")
        self.tmux("send-keys", "-t", "w", "q")
        self.assertEqual(0, self.wait_exit()[0])

    def test_ctrl_c_exits_cleanly_and_restores_the_terminal(self):
        self.wait_screen(r"seq \d+")
        self.tmux("send-keys", "-t", "w", "C-c")
        code, stty = self.wait_exit()
        self.assertEqual(0, code)
        self.assert_restored(stty)

    def test_the_screen_refreshes_in_place(self):
        first = int(re.search(r"seq (\d+)",
                              self.wait_screen(r"seq \d+")).group(1))
        s = self.wait_screen(rf"seq (?!{first}\b)\d+")
        self.assertEqual(1, s.count("gcmon watch"))  # redrawn, not scrolled
        self.tmux("send-keys", "-t", "w", "q")
        self.assertEqual(0, self.wait_exit()[0])

    def test_80x24_sparkline_says_its_true_span_and_scale(self):
        self.launch("small", 80, 24, args="--interval 70ms")
        # twenty samples or more, so the span is more than rounding
        s, m = self.wait_for("small", r"([2-9]\d) samples over ([\d.]+) s, "
                                      r"([\d.]+ \w+) \.\. ([\d.]+ \w+)")
        n, span = int(m.group(1)), float(m.group(2))
        spark = re.search(r"(?m)^ {10}alloc (\S+)$", s).group(1)
        self.assertEqual(n, len(spark))  # the label counts what is drawn
        self.assertLessEqual(n, 80 - 16)
        # 70 ms asked of a 50 ms daemon: granted 100 ms, and said so; the
        # history it starts from is 50 ms apart, so n samples span between
        # (n - 1) x 50 ms and (n - 1) x 100 ms
        self.assertIn("every 100 ms (asked 70 ms)", s)
        self.assertGreaterEqual(span, (n - 1) * 0.05 - 0.06)  # shown as %.1f
        self.assertLessEqual(span, (n - 1) * 0.1 + 0.06)
        lo, hi = m.group(3), m.group(4)
        self.assertNotEqual(lo, hi)
        for line in s.splitlines():
            self.assertLessEqual(len(line), 80, line)
        self.assertIn("c collect  t threshold  e enable  d disable  p pause"
                      "  ? help  q quit", s)

    def test_160x48_draws_a_graph_with_its_scale_for_every_pool(self):
        self.launch("tall", 160, 48)
        s, _ = self.wait_for("tall", r"sys_mmz\s+pool used: \d+ samples")
        for name in ("gc alloc  gc heap", "sys_heap  pool", "sys_page  pool",
                     "sys_mmz   pool"):
            self.assertRegex(s, rf"(?m)^{name} used: \d+ samples over "
                                rf"[\d.]+ s, [\d.]+ \w+ \.\. [\d.]+ \w+$")
        lines = s.splitlines()
        title = [i for i, ln in enumerate(lines)
                 if ln.startswith("sys_heap  pool")][0]
        nxt = [i for i, ln in enumerate(lines)
               if ln.startswith("sys_page  pool")][0]
        graph = lines[title + 1:nxt - 1]  # a blank line before each title
        self.assertGreaterEqual(len(graph), 3)
        # rows of block columns; the bottom one has a block for every sample
        self.assertTrue(all(re.match(r"^( {10}[ ▁▂▃▄▅▆▇█]+)?$", g)
                            for g in graph), graph)
        n = int(re.search(r"sys_heap  pool used: (\d+) samples",
                          s).group(1))
        self.assertEqual(10 + n, len(graph[-1]))
        self.assertEqual(48, len(self.screen("tall").splitlines()))

    def test_keys_collect_set_threshold_enable_disable_pause_and_help(self):
        c = self.daemon.client()
        self.addCleanup(c.close)
        self.wait_screen(r"seq \d+.*\[connected\]")
        before = t.get_sample(c).gc.collections
        self.tmux("send-keys", "-t", "w", "c")
        self.wait_screen(r"collect: freed [\d.]+ \w+ in [\d.]+ \w+")
        self.assertGreater(t.get_sample(c).gc.collections, before)
        self.tmux("send-keys", "-t", "w", "t")
        self.wait_screen(r"threshold \(64K, 1M or off; Enter sets, Esc "
                         r"cancels\): _")
        self.tmux("send-keys", "-t", "w", "64K", "Enter")
        self.wait_screen(r"threshold: now 64\.00 KiB")
        self.assertEqual(65536, t.get_sample(c).gc.threshold)
        self.tmux("send-keys", "-t", "w", "d")
        self.wait_screen(rf"disable the gc on tcp://127\.0\.0\.1:"
                         rf"{self.daemon.port}\? \(y/n\)")
        self.tmux("send-keys", "-t", "w", "n")
        self.wait_screen(r"disable: not done")
        self.assertTrue(t.get_sample(c).gc.enabled)
        self.tmux("send-keys", "-t", "w", "d", "y")
        self.wait_screen(r"disable: the gc is disabled")
        self.assertFalse(t.get_sample(c).gc.enabled)
        self.wait_screen(r"enabled no")
        self.tmux("send-keys", "-t", "w", "e", "y")
        self.wait_screen(r"enable: the gc is enabled")
        self.assertTrue(t.get_sample(c).gc.enabled)
        self.tmux("send-keys", "-t", "w", "p")
        s = self.wait_screen(r"\[paused\]")
        seq = re.search(r"seq (\d+)", s).group(1)
        time.sleep(0.5)  # ten samples later the figures are the same
        self.assertIn(f"seq {seq} ", self.screen())
        self.tmux("send-keys", "-t", "w", "p")
        self.wait_screen(rf"seq (?!{seq}\b)\d+")
        self.tmux("send-keys", "-t", "w", "?")
        self.wait_screen(r"p   pause: freeze the figures")
        self.tmux("send-keys", "-t", "w", "q")
        self.assertEqual(0, self.wait_exit()[0])

    def test_colour_unless_no_color(self):
        self.launch("plain", 120, 32, env="NO_COLOR=1")
        coloured, _ = self.wait_for("w", r"\x1b\[32m", escapes=True)
        plain, _ = self.wait_for("plain", r"crc errors", escapes=True)
        self.assertRegex(coloured, r"\[\x1b\[32m█+")  # a green bar
        self.assertNotRegex(plain, r"\x1b\[(3\d|2)m")  # no colour, no dim
        # past the threshold, the gc heap's alloc turns yellow
        t.run("threshold", "1K", target=f"tcp://127.0.0.1:{self.daemon.port}",
              check=0)
        self.wait_for("w", r"alloc \x1b\[33m[\d.]+ \w+", escapes=True)
        self.assertNotRegex(self.screen("plain", escapes=True),
                            r"alloc \x1b\[33m")
        self.launch("dumb", 120, 32, env="TERM=dumb")
        dumb, _ = self.wait_for("dumb", r"crc errors", escapes=True)
        self.assertNotRegex(dumb, r"\x1b\[3\dm")

    def test_a_lost_link_dims_the_figures_and_says_how_old(self):
        s, _ = self.wait_for("w", r"crc errors", escapes=True)
        self.assertNotIn("\x1b[2m", s)
        self.daemon.stop()
        s, m = self.wait_for("w", r"\[link lost, reconnecting: figures "
                                  r"from (\d+) s ago\]", escapes=True)
        s, _ = self.wait_for("w", r"figures from [1-9]\d* s ago")
        esc = self.screen(escapes=True)
        # tmux writes an attribute where it starts: dim from the first
        # figure line on, with no reset before the pools
        dim = esc.index("\x1b[2m")
        self.assertLess(dim, esc.index("gc heap"))
        between = esc[dim:esc.index("sys_heap")]
        self.assertNotIn("\x1b[0m", between)
        self.assertNotIn("\x1b[22m", between)
        self.daemon = t.Daemon(interval=50)  # for stop_daemon

    def test_a_daemon_slow_to_answer_hello_is_waited_for_not_a_crash(self):
        # A peer that accepts and never answers: the screen must not be
        # drawn before the terminal is set up (it once was, after 100 ms).
        import socket
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        self.addCleanup(srv.close)
        code_file = os.path.join(self.dir, "slow-exit")
        gcmon = " ".join(t.PREFIX + [t.GCMON])
        script = (f"GCMON_TARGET=tcp://127.0.0.1:{srv.getsockname()[1]} "
                  f"{gcmon} --timeout 1500ms watch 2>{self.dir}/slow-err; "
                  f"echo $? > {code_file}; sleep 60")
        self.tmux("new-session", "-d", "-s", "slow", "-x", "120", "-y", "32",
                  "sh", "-c", script)
        deadline = time.monotonic() + 30
        while not (os.path.exists(code_file)
                   and os.path.getsize(code_file) > 0):
            self.assertLess(time.monotonic(), deadline, "watch never ended")
            time.sleep(0.1)
        with open(code_file) as f:
            self.assertEqual(1, int(f.read()))  # timed out, not signal 11
        with open(f"{self.dir}/slow-err") as f:
            self.assertIn("--timeout", f.read())  # says why


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main(verbosity=2)
