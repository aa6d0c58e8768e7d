"""A real MicroPython REPL on a pty, for the repl:// tests and benchmark.

MicroRepl starts the WebAssembly port's REPL (mprepl.mjs, node) behind a
pty that socat creates: the board's console as a host sees it, at `path`.
RawRepl is an independent host for it, written from the raw REPL's
description (Ctrl-C, Ctrl-A, code, Ctrl-D, "OK", output, 0x04, error text,
0x04, ">"; Ctrl-B back to the friendly prompt): what the tests compare
gcmon against.
"""
import os
import select
import shutil
import subprocess
import termios
import time
import tty

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "mprepl.mjs")
PACKAGE = os.path.join(HERE, "node_modules", "@micropython",
                       "micropython-webassembly-pyscript")


def available():
    """None when the REPL can run here, else why not."""
    if not shutil.which("node"):
        return "node is not installed"
    if not shutil.which("socat"):
        return "socat is not installed"
    if not os.path.isdir(PACKAGE):
        return "tests/repl/node_modules is missing (scripts/deps.sh installs it)"
    return None


class MicroRepl:
    def __init__(self, directory, baud=0, heap=131072, name="ttyACM0"):
        self.path = os.path.join(directory, name)
        cmd = f"node {HARNESS} --heap {heap}" + (f" --baud {baud}" if baud else "")
        self.proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.path}",
             f"exec:{cmd},pty,raw,echo=0"],
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.path):
            if time.monotonic() > deadline:
                raise TimeoutError("socat did not create the pty")
            time.sleep(0.02)
        # The banner is on its way once node has loaded the port: wait for
        # a friendly prompt to answer, so the REPL is known to run.
        with RawRepl(self.path) as r:
            r.friendly("1+1", timeout=20)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class RawRepl:
    """The console from the host's side, one open of the device."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        attrs = termios.tcgetattr(self.fd)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self.fd, termios.TCSANOW, attrs)
        self.buf = b""

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def write(self, data):
        os.write(self.fd, data)

    def read_until(self, marker, timeout=5.0):
        deadline = time.monotonic() + timeout
        while marker not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waiting for {marker!r}, got {self.buf[-200:]!r}")
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                self.buf += os.read(self.fd, 4096)
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def drain(self, quiet=0.1):
        while select.select([self.fd], [], [], quiet)[0]:
            os.read(self.fd, 4096)
        self.buf = b""

    def enter_raw(self):
        self.write(b"\r\x03\x03")
        time.sleep(0.1)
        self.drain()
        self.write(b"\r\x01")
        self.read_until(b"raw REPL; CTRL-B to exit\r\n>")

    def exec(self, code, timeout=5.0):
        """Run code in the raw REPL: (output, error text)."""
        self.write(code.encode() + b"\x04")
        self.read_until(b"OK", timeout)
        out = self.read_until(b"\x04", timeout)[:-1]
        err = self.read_until(b"\x04", timeout)[:-1]
        self.read_until(b">", timeout)
        return out.decode(), err.decode()

    def leave_raw(self):
        self.write(b"\x02")
        self.read_until(b">>> ")

    def friendly(self, line, timeout=5.0):
        """Type a line at the friendly prompt: what it printed."""
        self.write(b"\r\x03\x02")  # from raw or paste mode too
        self.read_until(b">>> ", timeout)
        self.drain(0.05)
        self.write(line.encode() + b"\r")
        out = self.read_until(b">>> ", timeout)
        text = out.decode(errors="replace").replace("\r\n", "\n")
        # the echo of the line, then what it printed, then the prompt
        return text.split("\n", 1)[1].rsplit(">>> ", 1)[0].strip() if "\n" in text else ""


def gc_values(path):
    """gc.mem_alloc(), mem_free(), threshold(), isenabled() read by hand."""
    with RawRepl(path) as r:
        r.enter_raw()
        out, err = r.exec("import gc\nprint(gc.mem_alloc(),gc.mem_free(),"
                          "gc.threshold(),gc.isenabled(),sep='|')\n")
        r.leave_raw()
    assert not err, err
    a, f, t, e = out.strip().split("|")
    return {"mem_alloc": int(a), "mem_free": int(f), "threshold": int(t),
            "enabled": e == "True"}


# ---- shared by the test scripts -------------------------------------------

GCMON = os.environ.get("GCMON", "")
PREFIX = os.environ.get("GCMON_EXEC_PREFIX", "").replace(";", " ").split()
SLOW = 4 if os.environ.get("GCMON_VALGRIND") == "1" else 1  # memcheck's pace


def gcmon(*args, timeout=30, env=None):
    """Run gcmon (through the exec prefix): the CompletedProcess."""
    return subprocess.run(PREFIX + [GCMON, *args], capture_output=True,
                          text=True, timeout=timeout * SLOW, env=env)


def test_main(needs_gcmond=False):
    """unittest.main, or exit 77 (skipped) when the REPL cannot run."""
    import sys
    import unittest
    if not GCMON:
        sys.exit("GCMON is not set")
    why = available()
    gcmond = os.environ.get("GCMOND", "")
    if not why and needs_gcmond and not (gcmond and os.path.exists(gcmond)):
        why = "gcmond is not built"
    if why:
        print(f"skipping: {why}", file=sys.stderr)
        sys.exit(77)
    unittest.main(verbosity=2)


def scrape_exporter(target, path, pattern, timeout=10):
    """Run `gcmon export -t target` on a free loopback port and GET path
    (a format string taking {target}, URL-quoted) until pattern matches:
    the last body read ("" when none)."""
    import re
    import signal
    import socket
    import urllib.parse
    import urllib.request
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = subprocess.Popen(PREFIX + [GCMON, "export", "--listen",
                                   f"127.0.0.1:{port}", "-t", target],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}" + path.format(
        target=urllib.parse.quote(target, safe=""))
    body = ""
    try:
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(url, timeout=timeout).read().decode()
                if re.search(pattern, body):
                    break
            except OSError:
                pass
            time.sleep(0.2)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=10 * SLOW)
    return body
