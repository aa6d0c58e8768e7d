"""Challenge-response control (docs/protocol.md, docs/security.md) as a
peer on the network sees it, against gcmond over real TCP from this host's
non-loopback address, with the MAC computed by an independent Python
implementation (tests/daemon/gcmonauth.py):

  - the right token, proved by auth, controls through MAC'd requests;
  - a recorded session replayed byte for byte, a request with a stale
    counter, a request with any one bit flipped, and a request MAC'd with
    another session's key are each refused (PERMISSION_DENIED for every
    well-formed one) and nothing on the board changes;
  - gcmond --require-mac refuses the cleartext token (control stays false,
    with a message) while auth still works and loopback keeps control;
  - a v1 hello gets none of the 1.1 fields;
  - the gcmon CLI (libgcmon) controls a remote daemon by challenge-response
    and never sends the token, also under --require-mac; with the CLI's own
    --require-mac it gives up control rather than send it.
"""
import os
import socket
import subprocess
import threading
import unittest

import gcmonauth as auth
import gcmonwire as w
import gcmon_pb2 as pb
import report

GCMOND, PREFIX = None, []
GCMON = os.environ.get("GCMON")
S = pb.Status
TOKEN = b"challenge-token-0123456789abcdef"


class Board:
    """A gcmond with a token, the sim's gc disabled, a loopback client to
    check the board's state, and non-loopback peers."""

    def setUp(self):
        self.addr = w.non_loopback_ipv4()
        if not self.addr:
            self.skipTest("no non-loopback IPv4 address on this host")
        self.token = w.token_file(self, TOKEN)

    def daemon(self, *args):
        d = w.Daemon(GCMOND, "--interval", "50", "--token-file", self.token,
                     *args, prefix=PREFIX, listen="0.0.0.0:0")
        self.addCleanup(lambda: d.proc.poll() is None and d.stop())
        # With the sim's gc disabled (from loopback), the collection count
        # moves only when someone's collect ran.
        self.local = w.Client.tcp(d.port)
        self.addCleanup(self.local.close)
        self.assertTrue(self.local.hello().hello.control)
        self.local.call(set_enabled=pb.SetEnabledRequest(enabled=False))
        return d

    def remote(self, d):
        c = w.Client.tcp(d.port, host=self.addr)
        self.addCleanup(c.close)
        return c

    def mac_session(self, d):
        s = auth.MacSession(self.remote(d))
        h = s.hello(TOKEN).hello
        self.assertEqual(1, h.minor)
        self.assertEqual(16, len(h.nonce))
        r = s.auth()
        self.assertEqual(S.OK, r.status.code, r.status.message)
        self.assertTrue(r.auth.control)
        return s

    def state(self):
        g = self.local.call(get_sample=pb.GetSampleRequest()).sample.gc
        return (g.threshold, g.enabled, g.collections)

    def assert_denied_unchanged(self, responses, before):
        for r in responses:
            self.assertEqual(S.PERMISSION_DENIED, r.status.code,
                             r.status.message)
            self.assertIsNone(r.WhichOneof("result"))
        self.assertEqual(before, self.state())



class Challenge(Board, unittest.TestCase):
    def test_the_right_token_controls_by_mac(self):
        d = self.daemon()
        s = self.mac_session(d)
        r = s.call(set_threshold=pb.SetThresholdRequest(bytes=12288))
        self.assertEqual(S.OK, r.status.code, r.status.message)
        self.assertEqual(12288, r.sample.gc.threshold)
        before = self.state()[2]
        self.assertEqual(S.OK, s.call(collect=pb.CollectRequest()).status.code)
        self.assertEqual(before + 1, self.state()[2])
        r = s.call(set_enabled=pb.SetEnabledRequest(enabled=True))
        self.assertTrue(r.sample.gc.enabled)
        # without a mac, the same session may not control
        r = s.c.call(set_threshold=pb.SetThresholdRequest(bytes=4096))
        self.assertEqual(S.PERMISSION_DENIED, r.status.code)
        self.assertEqual(12288, self.state()[0])
        self.assertEqual(0, d.stop())
        report.row("challenge-response control", "a non-loopback peer "
                   "proves the token (auth) and MACs its control calls",
                   "set_threshold, collect, set_enabled with counters 1-3; "
                   "then one without a mac",
                   "each MAC'd call takes effect; the one without a mac is "
                   "PERMISSION_DENIED and changes nothing")

    def test_a_recorded_session_replayed_changes_nothing(self):
        d = self.daemon()
        sent = []
        s = auth.MacSession(self.remote(d))
        send_raw = s.c.send_raw
        s.c.send_raw = lambda data: (sent.append(data), send_raw(data))
        s.hello(TOKEN)
        self.assertTrue(s.auth().auth.control)
        ids = []
        for call in (dict(set_threshold=pb.SetThresholdRequest(bytes=20480)),
                     dict(collect=pb.CollectRequest()),
                     dict(set_enabled=pb.SetEnabledRequest(enabled=True))):
            ids.append(s.call(**call))
        self.assertTrue(all(r.status.code == S.OK for r in ids))
        s.c.close()
        # back to where the board was, then the attacker replays every byte
        self.local.call(set_enabled=pb.SetEnabledRequest(enabled=False))
        self.local.call(set_threshold=pb.SetThresholdRequest(bytes=-1))
        before = self.state()
        c = self.remote(d)
        c.send_raw(b"".join(sent))
        hello = c.response(1)
        self.assertNotEqual(s.hello_response.hello.nonce, hello.hello.nonce)
        self.assertFalse(hello.hello.control)
        a = c.response(2)
        self.assertFalse(a.auth.control)  # the old proof fails the new nonce
        self.assert_denied_unchanged([c.response(i) for i in (3, 4, 5)],
                                     before)
        self.assertEqual(0, d.stop())
        report.row("replayed session", "every byte a MAC session sent "
                   "(hello, auth, 3 control calls), replayed on a new "
                   "connection", "set_threshold, collect, set_enabled",
                   "a new nonce; the old proof gives control = false; each "
                   "call PERMISSION_DENIED; threshold, enabled, collections "
                   "unchanged")

    def test_a_stale_counter_is_refused(self):
        d = self.daemon()
        s = self.mac_session(d)
        r = s.call(counter=5, set_threshold=pb.SetThresholdRequest(bytes=8192))
        self.assertEqual(S.OK, r.status.code)
        before = self.state()
        stale = [s.call(counter=n, set_threshold=pb.SetThresholdRequest(
            bytes=16384)) for n in (5, 4, 1)]
        self.assert_denied_unchanged(stale, before)
        self.assertIn("stale", stale[0].status.message)
        # the counter was not advanced by the refusals
        r = s.call(counter=6, set_threshold=pb.SetThresholdRequest(bytes=4096))
        self.assertEqual(S.OK, r.status.code)
        self.assertEqual(0, d.stop())
        report.row("stale counter", "a MAC'd request whose counter is not "
                   "above the last accepted", "counter 5 accepted, then 5, "
                   "4, 1 with correct tags",
                   "PERMISSION_DENIED ('stale counter'), nothing changed; "
                   "counter 6 then works")

    def test_any_one_flipped_bit_is_refused(self):
        d = self.daemon()
        s = self.mac_session(d)
        req_id, payload = s.request_payload(
            set_threshold=pb.SetThresholdRequest(bytes=24576))
        before = self.state()
        # The request's fields: a flip inside the id, the argument, the
        # counter or the tag leaves a well-formed request that must be
        # PERMISSION_DENIED; so must a flip that turns it into another call
        # (a mac is checked on any call); a flip in protobuf's framing may
        # make it undecodable (INVALID_ARGUMENT, or no answer without an
        # id). None may succeed.
        denied = other = 0
        for bit in range(len(payload) * 8):
            bad = bytearray(payload)
            bad[bit // 8] ^= 1 << (bit % 8)
            s.send_payload(bytes(bad))
            ping = s.c.request(get_sample=pb.GetSampleRequest())
            answers = []
            while True:  # everything up to the ping's answer
                p = s.c.wait(lambda p: p.WhichOneof("kind") == "response")
                if p.response.id == ping:
                    break
                answers.append(p.response)
            self.assertLessEqual(len(answers), 1)
            for r in answers:
                self.assertNotEqual(S.OK, r.status.code, (bit, r))
                if r.status.code == S.PERMISSION_DENIED:
                    denied += 1
                else:
                    other += 1
        self.assertEqual(before, self.state())
        # every bit of the argument, counter and tag values is denied
        value_bits = 8 * (3 + 4 + 16)  # sint64 24576 = 3 bytes, counter 1
        self.assertGreaterEqual(denied, value_bits)
        # the untouched request still works: no flip used up its counter
        s.send_payload(payload)
        self.assertEqual(24576, s.c.response(req_id).sample.gc.threshold)
        self.assertEqual(0, d.stop())
        report.row("one flipped bit", "a MAC'd set_threshold with one bit "
                   "flipped (CRC recomputed), every bit in turn",
                   f"{len(payload) * 8} variants",
                   f"none succeeds: {denied} PERMISSION_DENIED, {other} "
                   "malformed or another call refused; nothing changed; "
                   "the original then works")

    def test_a_mac_from_another_session_is_refused(self):
        d = self.daemon()
        a = self.mac_session(d)
        b = self.mac_session(d)
        before = self.state()
        # a request MAC'd with session a's key, sent on session b
        req_id, payload = b.request_payload(
            key=a.key, counter=1,
            set_threshold=pb.SetThresholdRequest(bytes=28672))
        b.send_payload(payload)
        r = b.c.response(req_id)
        self.assert_denied_unchanged([r], before)
        self.assertIn("wrong tag", r.status.message)
        # b's own key works with the same counter
        r = b.call(counter=1, set_threshold=pb.SetThresholdRequest(bytes=28672))
        self.assertEqual(S.OK, r.status.code)
        # a's proof does not authenticate b's challenge
        b.hello(TOKEN)
        self.assertFalse(b.auth(key=a.key).auth.control)
        self.assertEqual(0, d.stop())
        report.row("MAC from another session", "a request tagged with "
                   "another open session's key", "set_threshold, counter 1",
                   "PERMISSION_DENIED ('wrong tag'), nothing changed; the "
                   "session's own key then works; the other session's "
                   "proof fails this session's challenge")

    def test_require_mac_refuses_the_cleartext_token(self):
        d = self.daemon("--require-mac")
        c = self.remote(d)
        h = c.hello(token=TOKEN)
        self.assertEqual(S.OK, h.status.code)
        self.assertFalse(h.hello.control)
        self.assertIn("refused", h.status.message)
        before = self.state()
        r = c.call(set_threshold=pb.SetThresholdRequest(bytes=4096))
        self.assert_denied_unchanged([r], before)
        s = self.mac_session(d)
        self.assertTrue(s.hello_response.hello.mac_required)
        r = s.call(set_threshold=pb.SetThresholdRequest(bytes=4096))
        self.assertEqual(4096, r.sample.gc.threshold)
        # a trusted peer (loopback) keeps control
        r = self.local.call(set_threshold=pb.SetThresholdRequest(bytes=8192))
        self.assertEqual(8192, r.sample.gc.threshold)
        self.assertEqual(0, d.stop())
        report.row("--require-mac", "a non-loopback peer sends the right "
                   "token in clear", "v1 hello with the token, then a 1.1 "
                   "session", "control = false with 'cleartext token "
                   "refused'; control calls PERMISSION_DENIED; auth + MAC "
                   "controls; loopback still controls")

    def test_a_v1_hello_gets_no_1_1_fields(self):
        d = self.daemon()
        c = self.remote(d)
        c.on_payload = lambda p: self.__dict__.setdefault("raw", p)
        h = c.hello(token=TOKEN)
        self.assertTrue(h.hello.control)
        for f in ("minor", "nonce", "mac_required", "compact"):
            self.assertFalse(h.hello.HasField(f) if f == "compact"
                             else getattr(h.hello, f), f)
        self.assertEqual(0, d.stop())


class Tap:
    """A TCP relay on this host's non-loopback address that keeps a copy of
    every byte the client sends to the daemon."""

    def __init__(self, addr, port):
        self.sent = bytearray()
        self.srv = socket.create_server((addr, 0))
        self.addr, self.port = addr, self.srv.getsockname()[1]
        self.target = (addr, port)
        threading.Thread(target=self._serve, daemon=True).start()

    def _pipe(self, src, dst, keep):
        try:
            while data := src.recv(65536):
                if keep:
                    self.sent += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            dst.close()

    def _serve(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            d = socket.create_connection(self.target)
            threading.Thread(target=self._pipe, args=(c, d, True),
                             daemon=True).start()
            threading.Thread(target=self._pipe, args=(d, c, False),
                             daemon=True).start()

    def close(self):
        self.srv.close()


class Cli(Board, unittest.TestCase):
    """The gcmon CLI, through libgcmon, as the 1.1 client."""

    def setUp(self):
        if not GCMON:
            self.skipTest("gcmon not built")
        Board.setUp(self)

    def gcmon(self, d, *args, port=None):
        return subprocess.run(
            [GCMON, "-t", f"tcp://{self.addr}:{port or d.port}", "--token-file",
             self.token, "--timeout", "5s", *args],
            capture_output=True, text=True, timeout=60)

    def test_the_cli_controls_by_mac_and_never_sends_the_token(self):
        for flags in ((), ("--require-mac",)):
            d = self.daemon(*flags)
            tap = Tap(self.addr, d.port)
            self.addCleanup(tap.close)
            p = self.gcmon(d, "threshold", "32K", port=tap.port)
            self.assertEqual(0, p.returncode, p.stderr)
            self.assertEqual(32768, self.state()[0])
            self.assertGreater(len(tap.sent), 100)
            self.assertNotIn(TOKEN, bytes(tap.sent))  # not in any frame
            p = self.gcmon(d, "threshold", "64K")
            self.assertEqual(0, p.returncode, p.stderr)
            self.assertEqual(65536, self.state()[0])
            p = self.gcmon(d, "info", "--json")
            self.assertEqual(0, p.returncode, p.stderr)
            self.assertIn('"control":true', p.stdout.replace(" ", ""))
            p = self.gcmon(d, "collect")
            self.assertEqual(0, p.returncode, p.stderr)
            self.assertEqual(0, d.stop())
            log = d.log_text()
            self.assertGreaterEqual(log.count("control by mac"), 4, log)
            self.assertNotIn("token not accepted", log)
            self.assertNotIn("refused", log)
        report.row("CLI by challenge-response", "gcmon threshold / info / "
                   "collect from a non-loopback address with --token-file",
                   "gcmond with and without --require-mac",
                   "each command controls through auth + MAC; the token "
                   "is in none of the bytes the client sent")

    def test_the_cli_require_mac_never_sends_the_token(self):
        # a daemon that offers no challenge: hello answers read-only, and
        # with --require-mac the CLI does not fall back to the cleartext
        # token (docs/security.md, downgrade)
        d = w.Daemon(GCMOND, "--interval", "50", prefix=PREFIX,
                     listen="0.0.0.0:0")  # no token: no challenge offered
        self.addCleanup(lambda: d.proc.poll() is None and d.stop())
        p = subprocess.run(
            [GCMON, "-t", f"tcp://{self.addr}:{d.port}", "--token-file",
             self.token, "--require-mac", "threshold", "64K"],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(1, p.returncode)
        self.assertIn("permission denied", p.stderr)
        self.assertEqual(0, d.stop())
        self.assertNotIn("token not accepted", d.log_text())


if __name__ == "__main__":
    GCMOND, PREFIX = w.daemon_command_from_env()
    unittest.main(verbosity=2)
