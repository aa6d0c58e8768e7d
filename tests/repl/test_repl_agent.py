"""repl:// with the agent on the board, the host's side: a stand-in board
console (tests/repl/standin.py: a pty speaking the raw REPL as MicroPython
does) that, when gcmon calls gcmon.serve_console(), joins the console to a
session of a real gcmond (over loopback TCP, a fresh session per call), as
the module's serve_console() would serve the protocol on the REPL's
stdin/stdout. gcmon must take the agent path (no polling snippets), every
call must be gcmond's, console text the board prints between frames must
be counted, and on exit the REPL must be back at its friendly prompt.

The stand-in replaces only the MicroPython VM (which this suite cannot
run with the module built in); the protocol end is the real daemon.

    GCMON=<gcmon> GCMOND=<gcmond> python3 test_repl_agent.py
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))

import mprepl  # noqa: E402
from mprepl import GCMON, PREFIX  # noqa: E402
from standin import READY, StandInConsole  # noqa: E402


def gcmon(*args):
    # a loaded machine runs three processes and a thread per byte here
    return mprepl.gcmon("--timeout", "15s", *args)

GCMOND = os.environ.get("GCMOND", "")
PRINTED = b"board: a line the program printed\r\n"


class AgentConsole(StandInConsole):
    """The stand-in REPL (standin.py) whose serve_console() joins the
    console to a fresh session of gcmond's TCP port."""

    def __init__(self, agent_port):
        super().__init__()
        self.port = agent_port
        self.sock = None
        self.serves = 0
        self.calls = []  # the serve_console(...) calls as typed
        self.old_module = False  # one without serve_console's baud
        self.start()

    def extra_fds(self):
        return [self.sock] if self.sock else []

    def ready(self, fd):
        data = self.sock.recv(4096)
        if data and self.mode == "serving":
            self.say(data)
            self.chunks += 1
            if self.chunks == 1:  # a program printing mid-session
                self.say(PRINTED)

    def serving_byte(self, b):
        # As the module's serve_console(): a 0x03 between frames (none
        # open) ends the call; inside a frame it is data (a nonce, a CRC, a
        # length may hold it).
        if b == b"\x7e":
            self.in_frame = not (self.in_frame and self.frame_len > 0)
            self.frame_len = 0
        elif self.in_frame:
            self.frame_len += 1
        if b == b"\x03" and not self.in_frame:
            self.mode = "raw"
            self.sock.close()
            self.sock = None
            self.say(b"\x04Traceback (most recent call last):\r\n"
                     b"KeyboardInterrupt: \r\n\x04>")
        else:
            self.sock.sendall(b)

    def serve_console(self, code):
        self.calls.append(code)
        if "serve_console(baud" in code and self.old_module:
            self.say(b"\x04Traceback (most recent call last):\r\n"
                     b"TypeError: unexpected keyword argument 'baud'\r\n\x04>")
            return
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.mode = "serving"
        self.in_frame, self.frame_len = False, 0
        self.chunks = 0
        self.serves += 1
        self.say(READY)  # the module's line before any frame

    def close(self):
        super().close()
        if self.sock:
            self.sock.close()


class AgentOverConsole(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import gcmonwire
        cls.dir = tempfile.TemporaryDirectory()
        cls.daemon = gcmonwire.Daemon(GCMOND, "--interval", "50", "--seed",
                                      "7", prefix=PREFIX)
        cls.board = AgentConsole(cls.daemon.port)
        cls.target = "repl://" + cls.board.path

    @classmethod
    def tearDownClass(cls):
        cls.board.close()
        cls.daemon.stop()
        cls.dir.cleanup()

    def test_info_stat_and_record_come_from_the_agent(self):
        serves = self.board.serves
        p = gcmon("-t", self.target, "info", "--json")
        self.assertEqual(p.returncode, 0,
                         p.stderr + self.daemon.log_text()[-1500:])
        info = json.loads(p.stdout)
        self.assertEqual(info["console"], {"mode": "agent"})
        self.assertTrue(info["daemon"].startswith("gcmond"), info)
        p = gcmon("-t", self.target, "stat", "--json")
        self.assertEqual(p.returncode, 0,
                         p.stderr + self.daemon.log_text()[-1500:])
        self.assertGreater(json.loads(p.stdout)["sys_total"], 0)
        out = os.path.join(self.dir.name, "rec.csv")
        rec = subprocess.Popen(PREFIX + [GCMON, "--timeout", "15s", "-t",
                                         self.target, "record",
                                         "--csv", out],
                               stderr=subprocess.PIPE, text=True)
        # until a dozen rows are on disk (about 1 s; longer where the
        # programs run slowly, under valgrind), at most 20 s
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            time.sleep(0.3)
            if os.path.exists(out):
                with open(out) as f:
                    if len(f.readlines()) > 12:
                        break
        rec.send_signal(2)
        _, err = rec.communicate(timeout=10)
        self.assertEqual(rec.returncode, 0, err)
        self.assertIn("0 gaps", err)
        noise = int(err.split(" noise bytes")[0].rsplit(" ", 1)[1])
        self.assertGreaterEqual(noise, len(PRINTED))
        with open(out) as f:
            self.assertGreater(len(f.readlines()), 10)
        self.assertEqual(self.board.serves, serves + 3)

    def test_a_uart_console_passes_its_baud_an_older_module_is_asked_again(self):
        for old in (False, True):
            self.board.calls.clear()
            self.board.old_module = old
            try:
                p = gcmon("-t", self.target + "?baud=115200", "info", "--json")
            finally:
                self.board.old_module = False
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)["console"], {"mode": "agent"})
            want = ["gcmon.serve_console(baud=115200)"]
            if old:
                want.append("gcmon.serve_console()")
            self.assertEqual(self.board.calls, want)

    def test_close_interrupts_serve_console_and_leaves_the_friendly_prompt(self):
        gcmon("-t", self.target, "stat")
        time.sleep(0.2)
        self.assertEqual(self.board.mode, "friendly")
        self.assertIn(("serving", b"\x03"), self.board.seen)


if __name__ == "__main__":
    mprepl.test_main(needs_gcmond=True)
