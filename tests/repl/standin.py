"""A stand-in board console for repl:// with the agent: the raw REPL as
MicroPython answers it (Ctrl-C, Ctrl-A, code, Ctrl-D: "OK", output, 0x04,
error text, 0x04, ">"; Ctrl-B back to the friendly prompt), on the board's
end of a pty, running no Python: it knows gcmon's probe for
serve_console() and hands a call to serve_console() to serve_console()
below, which a subclass makes real.

  - StandInConsole: the REPL itself; a friendly line it knows ("1+1", and
    what `answers` adds) gets its answer.
  - FakeAgentConsole: serve_console() is the module's own, in
    mp_fake_agent (tests/micropython/fake_agent.c): the console pump of
    daemon/micropython/console.c takes the board's end of the pty until
    the call returns, as on a board (tests/micropython/test_mp_console.py
    and bench/bench_console.py).

tests/repl/test_repl_agent.py joins the console to a real gcmond instead.
"""
import os
import re
import select
import subprocess
import threading
import tty

BANNER = b"raw REPL; CTRL-B to exit\r\n>"
# What serve_console() prints before its first frame (GCMON_MP_CONSOLE_READY
# in daemon/micropython/console.h); gcmon waits for it.
READY = b"gcmon: serving the protocol on this console; Ctrl-C ends it\r\n"
PROBE = "hasattr(gcmon,'serve_console')"
CONTROL = (b"\x01", b"\x02", b"\x03")


class StandInConsole:
    """The REPL on the board's end of a pty: fd (opened by the caller, e.g.
    a paced line's board side), or a fresh pty whose host side is path.
    Call start() once the subclass is ready to serve."""

    def __init__(self, fd=None, answers=None):
        self.own = []
        if fd is None:
            fd, slave = os.openpty()
            tty.setraw(slave)
            self.path = os.ttyname(slave)
            self.own = [fd, slave]  # the slave kept: the pty lives on
        self.fd = fd
        self.answers = {b"1+1": b"2"}
        self.answers.update(answers or {})
        self.mode = "friendly"
        self.code = b""
        self.line = b""
        self.seen = []  # (mode, control byte) as they came
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def say(self, data):
        os.write(self.fd, data)

    # ---- for subclasses --------------------------------------------------
    def extra_fds(self):
        """More descriptors the loop waits on (ready() is called)."""
        return []

    def ready(self, fd):
        pass

    def serving_byte(self, b):
        """A console byte while mode is "serving" (a subclass's)."""

    def serve_console(self, code):
        self.say(b"\x04NameError: name 'gcmon' isn't defined\r\n\x04>")

    # ---- the REPL ----------------------------------------------------------
    def run(self):
        while not self.stop:
            fds = [self.fd] + self.extra_fds()
            r, _, _ = select.select(fds, [], [], 0.1)
            for fd in r:
                if fd != self.fd:
                    self.ready(fd)
            if self.fd in r:
                # One byte at a time: a serve_console() that takes the
                # console over must find what follows its call unread.
                data = os.read(self.fd, 1)
                if data:
                    self.byte(data)

    def byte(self, b):
        if b in CONTROL:
            self.seen.append((self.mode, b))
        if self.mode == "serving":
            self.serving_byte(b)
        elif b == b"\x01":
            self.mode, self.code = "raw", b""
            self.say(b"\r\n" + BANNER)
        elif b == b"\x02":
            self.mode, self.line = "friendly", b""
            self.say(b"\r\nMicroPython stand-in\r\n>>> ")
        elif b == b"\x03":
            self.code, self.line = b"", b""
            if self.mode == "friendly":
                self.say(b"\r\n>>> ")
        elif self.mode == "raw":
            if b == b"\x04":
                self.run_code(self.code.decode())
                self.code = b""
            else:
                self.code += b
        else:
            self.say(b)
            self.line += b
            if b == b"\r":
                out = self.answers.get(self.line.strip())
                self.say(b"\n" + (out + b"\r\n" if out else b"") + b">>> ")
                self.line = b""

    def run_code(self, code):
        self.say(b"OK")
        if PROBE in code:
            self.say(b"True\r\n\x04\x04>")
        elif "serve_console" in code:
            self.serve_console(code)
        else:
            self.say(b"\x04NameError: stand-in runs no other code\r\n\x04>")

    def close(self):
        self.stop = True
        self.thread.join(5)
        for fd in self.own:
            os.close(fd)


class FakeAgentConsole(StandInConsole):
    """serve_console() is mp_fake_agent's (the module's console pump on a
    pretend VM); agent_args go to mp_fake_agent (--interval MS, ...)."""

    def __init__(self, agent, fd=None, answers=None, prefix=(),
                 agent_args=()):
        super().__init__(fd, answers)
        self.agent = subprocess.Popen(
            list(prefix) + [agent, *agent_args], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, pass_fds=[self.fd])
        self.port = int(self.agent.stdout.readline().split()[1])
        self.ends = []  # what each serve_console() call returned
        self.calls = 0
        self.lock = threading.Lock()
        self.start()

    def cmd(self, line):
        """One command to mp_fake_agent: its answer, split in words."""
        with self.lock:  # the REPL thread and the test both ask
            self.agent.stdin.write(line + "\n")
            self.agent.stdin.flush()
            return self.agent.stdout.readline().split()

    def serve_console(self, code):
        self.calls += 1
        baud = re.search(r"serve_console\(baud=(\d+)\)", code)
        # The call blocks the REPL until the module returns.
        self.ends.append(self.cmd(f"console {self.fd}" +
                                  (f" {baud.group(1)}" if baud else "")))
        self.say(b"\x04\x04>")

    def close(self):
        """Stop the REPL and mp_fake_agent: its exit code (None when it
        did not stop within 20 s and was killed)."""
        self.stop = True
        self.thread.join(5)
        try:
            self.agent.stdin.write("quit\n")
            self.agent.stdin.close()
            rc = self.agent.wait(20)
        except (OSError, subprocess.TimeoutExpired):
            self.agent.kill()  # still inside serve_console(): a failure
            self.agent.wait()
            rc = None
        super().close()
        return rc
