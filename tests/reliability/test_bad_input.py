"""Bad input everywhere, and what a user sees for each:

  - every malformed request shape on one TCP session: an out-of-range
    field, a wrong wire type, a truncated message, an over-long string, an
    unknown call, a response or event sent to the daemon, bytes that are
    not protobuf at all, an oversize or corrupted frame. Each is answered
    with its Status when a request id can still be read, else counted as
    undecodable or dropped; after each the session still answers, and the
    daemon's session-close line counts exactly the ones not answered;
  - bad gcmond flags and bad gcmon arguments exit 2 with a message;
  - unreadable or malformed source files stop gcmond at start with one
    line naming the file; a source that breaks while running is logged
    once (not every tick) and again when it recovers.
"""
import os
import re
import subprocess
import tempfile
import time
import unittest

import gcmonwire as w
import gcmon_pb2 as pb
import report

GCMOND, GCMON, PREFIX = None, None, []
S = pb.Status


varint = w.varint


def ld(field, body):
    """A length-delimited field."""
    return varint(field << 3 | 2) + varint(len(body)) + body


def vi(field, value):
    return varint(field << 3) + varint(value)


def request(req_id, body):
    """Packet{request{id, body...}}."""
    return ld(1, vi(1, req_id) + body)


# (name, payload, expected): expected is the Status code the request id in
# the payload is answered with, or None when no id can be read (counted).
CASES = [
    ("id 0", request(0, ld(3, b"")), S.INVALID_ARGUMENT),
    ("unknown call (field 99)", request(10, ld(99, b"")), S.UNIMPLEMENTED),
    ("request with no call", request(11, b""), S.UNIMPLEMENTED),
    ("hello version 2", request(12, ld(2, vi(1, 2))), S.INVALID_ARGUMENT),
    ("hello client 33 bytes", request(13, ld(2, vi(1, 1) + ld(2, b"c" * 33))),
     S.INVALID_ARGUMENT),
    ("hello token 65 bytes", request(14, ld(2, vi(1, 1) + ld(3, b"t" * 65))),
     S.INVALID_ARGUMENT),
    ("subscribe interval above a day", request(15, ld(7, vi(1, 86400001))),
     S.INVALID_ARGUMENT),
    ("subscribe interval -1 (10-byte varint)",
     request(16, ld(7, vi(1, (1 << 64) - 1))), S.INVALID_ARGUMENT),
    ("subscribe from_seq ahead of the series",
     request(17, ld(7, vi(2, 1 << 40))), S.INVALID_ARGUMENT),
    ("unsubscribe unknown id", request(18, ld(8, vi(1, 7))),
     S.INVALID_ARGUMENT),
    ("get_history from_seq 2^64-1, max_count 2^32-1",
     request(19, ld(9, vi(1, (1 << 64) - 1) + vi(2, (1 << 32) - 1))), S.OK),
    ("set_threshold INT64_MIN", request(20, ld(5, vi(1, (1 << 64) - 1))),
     S.OK),
    ("call as a varint (wrong wire type)", request(21, vi(3, 1)),
     S.INVALID_ARGUMENT),
    ("subscribe interval as fixed32 (wrong wire type)",
     request(22, ld(7, varint(1 << 3 | 5) + b"\x10\x00\x00\x00")),
     S.INVALID_ARGUMENT),
    ("get_history truncated inside", request(23, ld(9, b""))[:-1]
     + b"\x08", S.INVALID_ARGUMENT),
    ("two calls in one request (last wins)",
     request(24, ld(3, b"") + ld(9, b"")), S.OK),
    ("unknown fields beside the call", request(25, ld(3, b"") + vi(77, 5)
                                               + ld(78, b"x" * 200)), S.OK),
    ("id as a length-delimited field", ld(1, ld(1, b"\x05") + ld(3, b"")),
     None),
    ("id above 2^32", ld(1, vi(1, 1 << 33) + ld(3, b"")), None),
    ("request length beyond the payload",
     varint(1 << 3 | 2) + varint(50) + vi(1, 26), None),
    ("id varint cut short", ld(1, b"\x08\xff"), None),
    ("a Response sent to the daemon", ld(2, vi(1, 27)), None),
    ("an Event sent to the daemon", ld(3, vi(1, 1)), None),
    ("a Packet with no kind", vi(15, 1), None),
    ("not protobuf at all", b"GET / HTTP/1.1\r\nHost: k230\r\n\r\n", None),
    ("field number 0", b"\x00\x00", None),
    ("length 2^32-1", varint(1 << 3 | 2) + varint((1 << 32) - 1), None),
]


class Requests(unittest.TestCase):
    def test_every_malformed_request_shape_gets_its_status_or_is_counted(self):
        d = w.Daemon(GCMOND, "--interval", "50", prefix=PREFIX)
        self.addCleanup(lambda: d.proc.poll() is None and d.stop())
        c = w.Client.tcp(d.port)
        c.hello()
        counted = 0
        for name, payload, want in CASES:
            c.send_raw(w.frame(payload))
            if want is None:
                counted += 1
            else:
                r = c.response(id_of(payload))
                self.assertEqual(want, r.status.code, name)
                if want != S.OK:
                    self.assertTrue(r.status.message, name)
                    self.assertIsNone(r.WhichOneof("result"), name)
            # the session survives every one of them
            s = c.call(get_sample=pb.GetSampleRequest())
            self.assertEqual(S.OK, s.status.code, name)
        # framing-level damage: an oversize frame and a CRC error
        c.send_raw(b"\x7e" + b"\x55" * 3000 + b"\x7e")
        bad = bytearray(w.frame(request(90, ld(3, b""))))
        bad[3] ^= 0x01
        c.send_raw(bytes(bad))
        self.assertEqual(S.OK, c.call(get_sample=pb.GetSampleRequest())
                         .status.code)
        c.close()
        time.sleep(0.2)
        self.assertEqual(0, d.stop())
        m = re.search(r"session closed: tcp:\S+ \(frames (\d+), drops (\d+) "
                      r"\[crc (\d+) short (\d+) oversize (\d+) escape (\d+) "
                      r"undecodable (\d+)\]", d.log_text())
        frames, drops, crc, short, oversize, escape, undecodable = map(
            int, m.groups())
        answered_bad = sum(1 for _, _, want in CASES
                           if want is not None and want != S.OK)
        # every valid frame: hello, each case, a get_sample after each, the
        # last get_sample; undecodable: the cases with no readable id, and
        # the ones answered by reading only their id
        self.assertEqual(2 + 2 * len(CASES), frames)
        self.assertGreaterEqual(undecodable, counted)
        self.assertEqual((1, 1, 0, 0), (oversize, crc, short, escape))
        self.assertEqual(undecodable + 2, drops)
        report.row("malformed requests",
                   "request shapes no client should send, one TCP session",
                   f"{len(CASES)} shapes (out-of-range fields, wrong wire "
                   "types, truncations, over-long strings, unknown call, "
                   "response/event/non-protobuf sent to the daemon) + an "
                   "oversize and a bad-CRC frame",
                   f"{len(CASES) - counted} answered with their Status "
                   f"({answered_bad} errors, each with a message and no "
                   f"result), {counted} not answerable, counted "
                   f"(undecodable {undecodable}, oversize 1, crc 1); the "
                   "session answered after every one; daemon exit 0")


def id_of(payload):
    """The request id in a hand-built payload: Packet.request.id."""
    # payload = 0x0A len (0x08 id ...) ...
    i = 1
    while payload[i] & 0x80:
        i += 1
    i += 1
    assert payload[i] == 0x08
    v, shift = 0, 0
    i += 1
    while True:
        b = payload[i]
        v |= (b & 0x7F) << shift
        shift += 7
        i += 1
        if not b & 0x80:
            return v


def run(cmd, **kw):
    return subprocess.run(PREFIX + cmd, capture_output=True, text=True,
                          timeout=30, **kw)


GCMOND_BAD = [
    ["--interval", "0"], ["--interval", "abc"], ["--interval", "9" * 20],
    ["--history", "0"], ["--history", "-1"], ["--max-sessions", "0"],
    ["--max-sessions", "100000"], ["--queue", "0"], ["--baud", "0"],
    ["--baud", "12345"], ["--seed", "x"], ["--source", "nope"],
    ["--source"], ["--uart"], ["--listen", "nonsense"],
    ["--listen", "1.2.3.4:99999"], ["--listen", "k230.local:7230"],
    ["--listen", "none"], ["--bogus"], ["extra"],
]

GCMON_BAD = [
    ["frobnicate"], ["stat", "extra"], ["watch", "--interval", "0"],
    ["watch", "--interval", "3q"], ["record"], ["record", "--csv"],
    ["record", "--csv", "a", "--json", "b"], ["history", "--since", "-1"],
    ["threshold", "1Z"], ["threshold", "9" * 23], ["threshold", "off", "x"],
    ["collect", "--since", "3"], ["info", "--csv"], ["--timeout", "0", "info"],
    ["--timeout", "-1s", "info"], ["--token-file"], ["-t", "", "stat"],
    ["-t", "tcp://[::1", "stat"], ["-t", "tcp://k230:0", "stat"],
    ["-t", "serial://ttyUSB0", "stat"], [],
]


class Arguments(unittest.TestCase):
    def test_bad_gcmond_flags_exit_2_with_what_is_wrong(self):
        for args in GCMOND_BAD:
            p = run([GCMOND] + args)
            self.assertEqual(2, p.returncode, (args, p.stderr))
            lines = p.stderr.splitlines()
            self.assertTrue(lines[0].startswith("gcmond: "), args)
            self.assertIn("usage: gcmond", p.stderr, args)
        report.row("bad gcmond flags", "out-of-range, malformed or missing "
                   "flag values, unknown flags, stray arguments",
                   f"{len(GCMOND_BAD)} command lines",
                   "each exit 2, first line names the flag and what it "
                   "takes, then the usage line")

    @unittest.skipUnless(os.environ.get("GCMON"), "gcmon not built")
    def test_bad_gcmon_arguments_exit_2_with_a_message(self):
        for args in GCMON_BAD:
            p = run([os.environ["GCMON"]] + args)
            self.assertEqual(2, p.returncode, (args, p.stderr))
            self.assertEqual("", p.stdout, args)
            self.assertIn("--help", p.stderr, args)
        report.row("bad gcmon arguments", "unknown commands and options, "
                   "bad durations, sizes, seqs and targets, missing values",
                   f"{len(GCMON_BAD)} command lines",
                   "each exit 2, nothing on stdout, one line saying what "
                   "is wrong and pointing to --help")


class Sources(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.fixtures = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "sources", "fixtures")

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def start_fails(self, *args):
        p = run([GCMOND, "--listen", "127.0.0.1:0"] + list(args))
        self.assertEqual(1, p.returncode, (args, p.stderr))
        # gcmond's own lines (not valgrind's notes about unknown ioctls)
        lines = [l for l in p.stderr.splitlines() if l.startswith("gcmond")]
        self.assertEqual(1, len(lines), p.stderr)
        return lines[0]

    def test_unreadable_or_malformed_source_files_stop_gcmond_at_start(self):
        cases = [
            ("linux", ["--meminfo", self.path("missing")], "No such file"),
            ("linux", ["--meminfo", self.tmp.name], "Is a directory"),
            ("linux", ["--meminfo", "/dev/null"], "no MemTotal"),
            ("linux", ["--meminfo",
                       os.path.join(self.fixtures, "meminfo_garbage.txt")],
             "MemTotal: not a number"),
            ("linux", ["--meminfo",
                       os.path.join(self.fixtures, "meminfo_no_available.txt")],
             "MemAvailable"),
            ("k230", ["--misc-dev", self.path("canmv_misc")], "No such file"),
            ("k230", ["--misc-dev",
                      os.path.join(self.fixtures, "canmv_misc")],
             "not a CanMV misc device"),
        ]
        for source, args, why in cases:
            line = self.start_fails("--source", source, *args)
            self.assertIn(why, line, args)
            self.assertIn(args[-1], line, args)  # names the file
        report.row("bad source files", "missing, a directory, empty, "
                   "garbled or incomplete meminfo; missing or wrong k230 "
                   "misc device", f"{len(cases)} configurations",
                   "each: gcmond exits 1 at start with one line naming the "
                   "file and what is wrong with it")

    def test_a_source_that_breaks_while_running_is_logged_once(self):
        meminfo = self.path("meminfo")
        good = "MemTotal: 1000 kB\nMemAvailable: 600 kB\n"
        with open(meminfo, "w") as f:
            f.write(good)
        d = w.Daemon(GCMOND, "--source", "linux", "--meminfo", meminfo,
                     "--interval", "10", prefix=PREFIX)
        self.addCleanup(lambda: d.proc.poll() is None and d.stop())
        c = w.Client.tcp(d.port)
        self.addCleanup(c.close)
        c.hello()
        with open(meminfo, "w") as f:
            f.write("MemTotal: lots\n")
        time.sleep(0.5)  # ~50 failed ticks
        r = c.call(get_sample=pb.GetSampleRequest())
        self.assertEqual(S.UNAVAILABLE, r.status.code)
        self.assertIn("MemTotal", r.status.message)
        with open(meminfo, "w") as f:
            f.write(good)
        time.sleep(0.2)
        self.assertEqual(S.OK, c.call(get_sample=pb.GetSampleRequest())
                         .status.code)
        c.close()
        self.assertEqual(0, d.stop())
        log = d.log_text()
        self.assertEqual(1, log.count("read failed"), log)
        m = re.search(r"readable again after (\d+) failed reads", log)
        self.assertTrue(m, log)
        self.assertGreater(int(m.group(1)), 10)


if __name__ == "__main__":
    GCMOND, PREFIX = w.daemon_command_from_env()
    unittest.main(verbosity=2)
