"""`gcmon run` beside the agent: the real gcmon CLI runs a script on a pty
whose far end is a stand-in raw REPL (tests/repl/standin.py) that runs
gcmon's wrapper the way MicroPython would: it starts the module's console
pump beside the script (serve_console(beside=True), the module's own
daemon/micropython/console.c in mp_fake_agent, on the pretend VM), runs
the script, then calls serve_console_stop(), which prints the tagged end
line. It takes code in raw-paste mode, or (the second run) answers as a
raw REPL from before raw-paste.

Checked: the script's output reaches the terminal without a frame byte
(its own '~', the flag byte, intact), samples land in the CSV while it
runs (a contiguous seq run), the upload keeps within the raw-paste
windows (or falls back without raw-paste), the pump
ends by the host's acknowledgement (not a timeout), the REPL answers
afterwards; a second gcmon on the device meanwhile is told who has it;
Ctrl-C on a script that would run forever reaches the script as
KeyboardInterrupt through the pump, gcmon exits 0, the REPL answers.

    GCMON=<gcmon> GCMON_MP_FAKE_AGENT=<mp_fake_agent> python3 test_mp_run.py
"""
import ast
import builtins
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "repl"))
from standin import FakeAgentConsole  # noqa: E402
from test_mp_console import (AGENT, GCMON, PREFIX, PRINTED,  # noqa: E402
                             check, friendly)
from test_repl_run import FOREVER  # noqa: E402  (imports time: script_globals)

# The scripts run in the stand-in (CPython) with print, sleep_ms (also as
# time.sleep_ms) and alloc (the pretend VM's heap) as the board would.
GROWS = """\
for i in range(12):
    alloc(20000)
    print("step", i, "~")
    sleep_ms(100)
print("done")
"""


WINDOW = 32  # raw-paste window: the wrapper alone takes dozens


class Board(FakeAgentConsole):
    """The stand-in, which also runs `gcmon run`'s wrapper, and takes code
    in raw-paste mode too (MicroPython's pyexec.c: Ctrl-E "A" Ctrl-A, then
    "R\x01", the window, 0x01 per window read, 0x04 answered by 0x04)."""

    def __init__(self):
        self.paste = None  # the code so far, in raw-paste mode
        self.credit = 0    # bytes the host may still send
        self.pastes = 0
        self.offer_paste = True  # False: an older raw REPL without it
        self.overruns = 0  # bytes past the windows granted
        self.stops = []    # what each serve_console_stop() said
        super().__init__(AGENT, prefix=PREFIX)

    def byte(self, b):
        if self.paste is not None:
            if b == b"\x04":
                code, self.paste = self.paste, None
                self.say(b"\x04")
                self.run_code(code.decode(), paste=True)
                return
            self.paste += b
            self.credit -= 1
            self.overruns += self.credit < 0
            if len(self.paste) % WINDOW == 0:
                self.credit += WINDOW
                self.say(b"\x01")
        elif (self.mode == "raw" and b == b"\x01" and self.code == b"\x05A"
              and self.offer_paste):
            self.code, self.paste = b"", b""
            self.credit = 2 * WINDOW  # the window, and the 0x01 after it
            self.pastes += 1
            self.say(b"R\x01" + WINDOW.to_bytes(2, "little") + b"\x01")
        else:
            super().byte(b)

    def run_code(self, code, paste=False):
        if not paste:
            self.say(b"OK")
        if "_gcmon_run(" not in code:
            if "hasattr(gcmon,'serve_console_stop')" in code:
                self.say(b"True\r\n\x04\x04>")
            else:
                self.say(b"\x04NameError: stand-in runs no other code\r\n\x04>")
            return
        script = next(n.args[0].value for n in ast.walk(ast.parse(code))
                      if isinstance(n, ast.Call)
                      and getattr(n.func, "id", "") == "_gcmon_run")
        # The wrapper: the pump on its thread, the script once it serves.
        # This thread (the REPL's) reads nothing meanwhile: the pump has
        # the console, as on the board.
        up = self.cmd(f"beside {self.fd}")
        error = b""
        try:
            if up == ["ok"]:
                exec(script, self.script_globals())
        except KeyboardInterrupt:
            error = b"Traceback (most recent call last):\r\nKeyboardInterrupt: \r\n"
        finally:
            self.stops.append(self.cmd("stop"))  # it prints the end line
        self.say(b"\x04" + error + b"\x04>")

    def script_globals(self):
        board_time = types.SimpleNamespace(sleep_ms=self.sleep_ms)
        own = dict(vars(builtins))
        own["print"] = self.printed
        own["__import__"] = lambda name, *a: (
            board_time if name == "time" else __import__(name, *a))
        return {"__builtins__": own, "sleep_ms": self.sleep_ms,
                "alloc": lambda n: self.cmd(f"alloc {n}")}

    def printed(self, *args):
        self.say((" ".join(str(a) for a in args) + "\r\n").encode())

    def sleep_ms(self, ms):
        time.sleep(ms / 1000)
        if self.cmd("interrupted") != ["interrupted", "0"]:
            raise KeyboardInterrupt


def run(board, script, out, interrupt_after=None, meanwhile=None,
        extra=()):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(script)
    try:
        p = subprocess.Popen(
            PREFIX + [GCMON, "--timeout", "15s", "-t", "repl://" + board.path,
                      "run", "--interval", "100ms", "--csv", out, *extra,
                      f.name],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if interrupt_after is not None:
            time.sleep(interrupt_after)
            if meanwhile:
                meanwhile(p.pid, f.name)
            p.send_signal(signal.SIGINT)
        stdout, stderr = p.communicate(timeout=60)
        return p.returncode, stdout, stderr.decode(errors="replace")
    finally:
        os.unlink(f.name)


def samples(path):
    with open(path) as f:
        return [int(r["seq"]) for r in csv.DictReader(f)
                if r["event"] == "sample"]


def main():
    if not GCMON or not AGENT:
        print("skip: GCMON and GCMON_MP_FAKE_AGENT are needed")
        return 77
    board = Board()
    tmp = tempfile.TemporaryDirectory()
    try:
        out = os.path.join(tmp.name, "run.csv")
        t0 = time.monotonic()
        rc, stdout, stderr = run(board, GROWS, out, extra=["--status"])
        took = time.monotonic() - t0
        check(rc == 0, f"run with the agent ends by itself ({took:.1f} s): "
              + stderr)
        lines = [l for l in stdout.decode().splitlines() if l]
        want = [f"step {i} ~" for i in range(12)] + ["done"]
        check([l for l in lines if l != PRINTED.decode().strip()] == want,
              f"the script's output on the terminal, in order ({len(lines)} "
              "lines)")
        check(stdout.count(b"\x7e") == 12 and b"\x1e" not in stdout,
              "no frame byte and no tag among it (the script's own '~' kept)")
        seq = samples(out)
        check(len(seq) >= 6,
              f"{len(seq)} samples in the CSV during a 1.2 s script at 100 ms")
        check(seq == list(range(seq[0], seq[0] + len(seq))),
              f"a contiguous seq run ({seq[0]}..{seq[-1]})")
        status = [l for l in stderr.splitlines() if l.startswith("gcmon: #")]
        check(len(status) == len(seq) and "gc " in status[-1],
              f"--status: a line per reading on stderr ({status[-1]!r})")
        check("agent over the console" in stderr and "0 missing" in stderr,
              "gcmon says the agent served: " + stderr.strip())
        check(board.pastes == 1 and board.overruns == 0,
              f"the upload in raw-paste mode, within the {WINDOW}-byte "
              "windows")
        check(board.stops and board.stops[-1] == ["stopped", "1", "closed"],
              f"the pump ended on the host's acknowledgement "
              f"({board.stops[-1] if board.stops else None})")
        time.sleep(0.2)
        check("2\r\n" in friendly(board, "1+1"), "the REPL answers 1+1 after")

        def second(pid, script):
            q = subprocess.run(
                PREFIX + [GCMON, "-t", "repl://" + board.path, "run", script],
                capture_output=True, text=True, timeout=30)
            check(q.returncode == 1 and f"busy (pid {pid} has it)" in q.stderr,
                  "a second gcmon run on the device: " + q.stderr.strip())

        # This time a raw REPL from before raw-paste: it takes Ctrl-E "A"
        # as code and reprints its banner for the Ctrl-A; gcmon falls back.
        board.offer_paste = False
        t0 = time.monotonic()
        rc, stdout, stderr = run(board, FOREVER, out, interrupt_after=1.0,
                                 meanwhile=second)
        check(rc == 0, f"Ctrl-C ends the forever script "
              f"({time.monotonic() - t0:.1f} s): " + stderr)
        check(stdout.count(b"tick") >= 5, f"its output ({stdout.count(b'tick')}"
              " ticks)")
        check(board.cmd("interrupted") == ["interrupted", "1"],
              "the host's Ctrl-C reached the script through the pump")
        check(board.stops[-1][:2] == ["stopped", "0"],
              f"the pump had ended already when the script stopped "
              f"({board.stops[-1]})")
        check(len(samples(out)) >= 4, f"{len(samples(out))} samples meanwhile")
        check(board.pastes == 1, "uploaded without raw-paste where the REPL "
              "has none")
        time.sleep(0.2)
        check("2\r\n" in friendly(board, "1+1"), "the REPL answers 1+1 after")
    finally:
        rc = board.close()
        tmp.cleanup()
    check(rc == 0, "the module stopped cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
