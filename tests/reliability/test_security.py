"""The trust model of docs/security.md, as a peer on the network sees it:

  - a TCP peer that is not loopback cannot control the board without the
    daemon's token: not with no token, an empty one, a prefix of it, the
    token with a byte more, nor when no token is configured at all; it gets
    PERMISSION_DENIED with no result and nothing on the board changes,
    while reading stays open to it; a second hello with a wrong token, no
    token, or one that fails (too long a token or name, version 2) takes
    control away again;
  - the token file must be a regular file (not a FIFO, which would hang
    startup) only its owner can read or
    write, else gcmond refuses to start (like ssh with a private key);
  - gcmond runs as an unprivileged user (nobody), serves, and reports the
    files and devices it may not open as a clear startup error.
"""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

import gcmonwire as w
import gcmon_pb2 as pb
import report

GCMOND, PREFIX = None, []
S = pb.Status
TOKEN = b"s3cret-token-0123456789"


class Remote(unittest.TestCase):
    def setUp(self):
        self.addr = w.non_loopback_ipv4()
        if not self.addr:
            self.skipTest("no non-loopback IPv4 address on this host")
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.token = os.path.join(self.tmp.name, "token")
        with open(self.token, "wb") as f:
            f.write(TOKEN + b"\n")
        os.chmod(self.token, 0o600)

    def daemon(self, *args):
        d = w.Daemon(GCMOND, "--interval", "50", *args, prefix=PREFIX,
                     listen="0.0.0.0:0")
        self.addCleanup(lambda: d.proc.poll() is None and d.stop())
        # The sim's gc collects by itself while enabled; with it disabled
        # (from loopback, which may), any new collection is someone's
        # collect, and the collection count shows a denied one.
        c = w.Client.tcp(d.port)
        c.hello()
        c.call(set_enabled=pb.SetEnabledRequest(enabled=False))
        c.close()
        return d

    def remote(self, d):
        c = w.Client.tcp(d.port, host=self.addr)
        self.addCleanup(c.close)
        return c

    def state(self, c):
        g = c.call(get_sample=pb.GetSampleRequest()).sample.gc
        return (g.threshold, g.enabled, g.collections)

    def assert_no_control(self, c):
        before = self.state(c)
        threshold, enabled, _ = before
        for call in (dict(collect=pb.CollectRequest()),
                     dict(set_threshold=pb.SetThresholdRequest(
                         bytes=threshold + 4096 if threshold >= 0 else 4096)),
                     dict(set_threshold=pb.SetThresholdRequest(
                         bytes=-1 if threshold >= 0 else 8192)),
                     dict(set_enabled=pb.SetEnabledRequest(
                         enabled=not enabled))):
            r = c.call(**call)
            self.assertEqual(S.PERMISSION_DENIED, r.status.code, call)
            self.assertIsNone(r.WhichOneof("result"), call)
        self.assertEqual(before, self.state(c))  # nothing changed

    def test_control_without_the_exact_token_is_denied_and_changes_nothing(self):
        d = self.daemon("--token-file", self.token)
        tries = [b"", TOKEN[:-1], TOKEN + b"x", TOKEN.upper(), b"\0" * 64,
                 TOKEN[1:] + TOKEN[:1]]
        for tok in tries:
            c = self.remote(d)
            h = c.hello(token=tok)
            self.assertEqual(S.OK, h.status.code, tok)
            self.assertFalse(h.hello.control, tok)
            self.assert_no_control(c)
            # reading stays open to an untrusted peer
            sub = c.call(subscribe=pb.SubscribeRequest()).subscribed
            self.assertEqual(1, len(c.events(sub.subscription, 1)))
            c.close()
        # with the token: control, until a hello with a wrong one
        c = self.remote(d)
        self.assertTrue(c.hello(token=TOKEN).hello.control)
        r = c.call(set_threshold=pb.SetThresholdRequest(bytes=8192))
        self.assertEqual(8192, r.sample.gc.threshold)
        self.assertFalse(c.hello(token=b"wrong").hello.control)
        self.assert_no_control(c)
        c.close()
        self.assertEqual(0, d.stop())
        report.row("control from a remote peer",
                   "collect / threshold / enable from a non-loopback TCP "
                   "peer", f"{len(tries)} wrong tokens (none, empty, prefix, "
                   "one byte more, case, rotated), then the right one, then "
                   "a wrong re-hello",
                   "every control call PERMISSION_DENIED with no result and "
                   "threshold, enabled, collections unchanged; reading "
                   "allowed; the right token controls; a wrong re-hello "
                   "takes control away")

    def test_a_failed_re_hello_leaves_the_session_read_only(self):
        d = self.daemon("--token-file", self.token)
        bad = {"a 65-byte token": dict(token=b"t" * 65),
               "a 33-byte client name": dict(client="n" * 33),
               "version 2": dict(version=2),
               "no token": dict()}
        for what, fields in bad.items():
            c = self.remote(d)
            self.assertTrue(c.hello(token=TOKEN).hello.control)
            hello = dict(version=1, client="pytest", token=TOKEN)
            hello.update(fields)
            if what == "no token":
                del hello["token"]
            r = c.call(hello=pb.HelloRequest(**hello))
            if what == "no token":
                self.assertFalse(r.hello.control, what)
            else:
                self.assertEqual(S.INVALID_ARGUMENT, r.status.code, what)
            self.assert_no_control(c)
            c.close()
        self.assertEqual(0, d.stop())
        report.row("failed re-hello", "a second hello after the right token "
                   "that fails or carries no token", ", ".join(bad),
                   "INVALID_ARGUMENT (or control false) and every later "
                   "control call PERMISSION_DENIED: the earlier grant is gone")

    def test_without_a_configured_token_no_remote_peer_can_control(self):
        d = self.daemon()
        for tok in (b"", TOKEN, b"\0"):
            c = self.remote(d)
            self.assertFalse(c.hello(token=tok).hello.control)
            self.assert_no_control(c)
            c.close()
        # loopback is trusted (docs/security.md)
        c = w.Client.tcp(d.port)
        self.addCleanup(c.close)
        self.assertTrue(c.hello().hello.control)
        c.close()
        self.assertEqual(0, d.stop())


class UartSlot(unittest.TestCase):
    """The UART (physical access) keeps its session slot even while it is
    unplugged: network peers filling every session cannot lock it out."""

    def test_network_peers_cannot_take_the_uarts_session_slot(self):
        if not shutil.which("socat"):
            self.skipTest("socat not installed")
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        cable = w.SerialCable(tmp.name)
        self.addCleanup(cable.unplug)

        def uart_hello():
            c = cable.open_host()
            self.addCleanup(os.close, c.fd)
            return c.hello()

        def wait_log(text, n=1):
            deadline = time.monotonic() + 10
            while d.log_text().count(text) < n:
                self.assertLess(time.monotonic(), deadline, d.log_text())
                time.sleep(0.05)

        cable.plug()
        d = w.Daemon(GCMOND, "--uart", cable.dev, "--max-sessions", "3",
                     "--interval", "50", prefix=PREFIX)
        self.addCleanup(lambda: d.proc.poll() is None and d.stop())
        self.assertEqual(S.OK, uart_hello().status.code)
        tcp = [w.Client.tcp(d.port) for _ in range(2)]
        for c in tcp:
            self.addCleanup(c.close)
            self.assertEqual(S.OK, c.hello().status.code)

        def third_is_refused():
            c = w.Client.tcp(d.port)
            self.addCleanup(c.close)
            r = c.wait(lambda p: p.WhichOneof("kind") == "response")
            self.assertEqual(0, r.response.id)
            self.assertEqual(S.RESOURCE_EXHAUSTED, r.response.status.code)
            c.close()

        third_is_refused()
        cable.unplug()  # the UART's session closes
        wait_log("device lost")
        third_is_refused()  # its slot is still kept for it
        cable.plug()
        wait_log("device back")
        r = uart_hello()
        self.assertEqual(S.OK, r.status.code)
        self.assertTrue(r.hello.control)
        for c in tcp:
            c.close()
        self.assertEqual(0, d.stop())
        report.row("UART session slot", "TCP peers filling every session "
                   "while the UART is unplugged", "--max-sessions 3: 2 TCP "
                   "sessions, a third TCP peer before and during the unplug",
                   "the third is refused RESOURCE_EXHAUSTED both times; "
                   "after the replug the UART session opens and has control")


class TokenFile(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def start(self, path):
        return subprocess.run(PREFIX + [GCMOND, "--listen", "127.0.0.1:0",
                                        "--token-file", path],
                              capture_output=True, text=True, timeout=10)

    def fifo(self, name):
        p = os.path.join(self.tmp.name, name)
        os.mkfifo(p, 0o600)
        return p

    def write(self, name, data, mode):
        p = os.path.join(self.tmp.name, name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        return p

    def test_token_file_others_could_read_or_that_is_not_a_plain_file_is_refused(self):
        good = self.write("good", TOKEN, 0o600)
        link = os.path.join(self.tmp.name, "link")
        os.symlink(good, link)
        cases = [
            (self.write("644", TOKEN, 0o644), "chmod 600"),
            (self.write("640", TOKEN, 0o640), "chmod 600"),
            (self.write("604", TOKEN, 0o604), "chmod 600"),
            (self.write("620", TOKEN, 0o620), "chmod 600"),
            (link, "token file"),                       # O_NOFOLLOW
            (self.tmp.name, "not a regular file"),
            (self.write("empty", b"", 0o600), "1 to 64 bytes"),
            (self.write("long", b"t" * 65, 0o600), "1 to 64 bytes"),
            (os.path.join(self.tmp.name, "missing"), "No such file"),
            (self.fifo("fifo"), "not a regular file"),  # no writer: no hang
        ]
        for path, why in cases:
            p = self.start(path)
            self.assertEqual(1, p.returncode, (path, p.stderr))
            self.assertIn(why, p.stderr, path)
            self.assertIn(path, p.stderr)
        report.row("token file checks", "a token file that is group or "
                   "world accessible, a symlink, a directory, a FIFO, empty, "
                   "too long or missing", f"{len(cases)} files",
                   "gcmond refuses to start (exit 1) naming the file and the "
                   "fix (chmod 600, 1 to 64 bytes)")


class Unprivileged(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.as_user = []  # already unprivileged: run as we are
        elif shutil.which("setpriv"):
            self.as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                            "--clear-groups", "--"]
        else:
            self.skipTest("root without setpriv")
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        os.chmod(self.tmp.name, 0o755)
        # a copy nobody can surely reach, wherever the build tree lives
        self.binary = os.path.join(self.tmp.name, "gcmond")
        shutil.copy(GCMOND, self.binary)
        os.chmod(self.binary, 0o755)

    def test_gcmond_serves_as_nobody_and_names_what_it_may_not_open(self):
        d = w.Daemon(self.binary, "--interval", "20",
                     prefix=self.as_user + PREFIX, listen="127.0.0.1:0")
        self.addCleanup(lambda: d.proc.poll() is None and d.stop())
        with open(f"/proc/{d.proc.pid}/status") as f:
            uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
        self.assertNotEqual("0", uid)
        c = w.Client.tcp(d.port)
        self.addCleanup(c.close)
        self.assertEqual(S.OK, c.hello().status.code)
        sub = c.call(subscribe=pb.SubscribeRequest()).subscribed
        seqs = [e.seq for e in c.events(sub.subscription, 10)]
        self.assertEqual(list(range(seqs[0], seqs[0] + 10)), seqs)
        self.assertEqual(S.OK, c.call(
            set_threshold=pb.SetThresholdRequest(bytes=4096)).status.code)
        c.close()
        self.assertEqual(0, d.stop())

        denied = []
        if self.as_user:  # as root we can make files nobody may open
            private = os.path.join(self.tmp.name, "meminfo")
            with open(private, "w") as f:
                f.write("MemTotal: 1000 kB\nMemAvailable: 600 kB\n")
            os.chmod(private, 0o600)
            master, slave = os.openpty()
            self.addCleanup(os.close, master)
            tty_path = os.ttyname(slave)
            os.close(slave)
            os.chmod(tty_path, 0o600)
            token = os.path.join(self.tmp.name, "token")
            with open(token, "wb") as f:
                f.write(TOKEN)
            os.chmod(token, 0o600)
            denied = [["--source", "linux", "--meminfo", private],
                      ["--uart", tty_path],
                      ["--token-file", token],
                      ["--listen", "127.0.0.1:80"]]
            for args in denied:
                p = subprocess.run(self.as_user + PREFIX + [self.binary]
                                   + (["--listen", "127.0.0.1:0"]
                                      if "--listen" not in args else [])
                                   + args, capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual(1, p.returncode, (args, p.stderr))
                self.assertRegex(p.stderr, "ermission denied|not permitted",
                                 args)
                self.assertIn(args[-1], p.stderr, args)
        report.row("unprivileged user",
                   "gcmond started as nobody" if self.as_user else
                   "gcmond started as this (non-root) user",
                   "TCP on a high port; then a root-only meminfo, tty and "
                   "token file, and port 80" if self.as_user else
                   "TCP on a high port",
                   f"serves hello, a contiguous stream and control from "
                   f"loopback (uid {uid}); "
                   + (f"{len(denied)} forbidden resources: exit 1 naming each"
                      " with 'Permission denied'" if denied else ""))


if __name__ == "__main__":
    GCMOND, PREFIX = w.daemon_command_from_env()
    unittest.main(verbosity=2)
