"""Shared pieces of the gcmon end-to-end tests: command-line arguments,
a gcmond on a free loopback port (and, for serial, on one end of a pty
pair), running gcmon, and an independent view of the daemon through
tests/daemon/gcmonwire.py (Python protobuf, written from PROTOCOL.md) to
compare what gcmon prints against.

Every test script is run by ctest as
    GCMON=<gcmon> GCMOND=<gcmond or ""> [GCMON_EXEC_PREFIX=...] \
        GCMON_PYTHON test_x.py [extra...]
and exits 77 (skipped) when gcmond was not built.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))

SKIP = 77
GCMON = None
GCMOND = None
PREFIX = []  # an emulator for cross builds (GCMON_EXEC_PREFIX)
EXTRA = []


def setup_from_env():
    """GCMON, GCMOND, GCMON_EXEC_PREFIX from the environment, extra
    arguments off argv; exit 77 when gcmond was not built."""
    global GCMON, GCMOND, PREFIX, EXTRA
    GCMON = os.environ.get("GCMON", "")
    GCMOND = os.environ.get("GCMOND", "")
    PREFIX = os.environ.get("GCMON_EXEC_PREFIX", "").replace(";", " ").split()
    EXTRA = sys.argv[1:]
    del sys.argv[1:]
    if not GCMON:
        print("GCMON is not set", file=sys.stderr)
        sys.exit(2)
    if not GCMOND or not os.path.exists(GCMOND):
        print("gcmond is not built: skipping", file=sys.stderr)
        sys.exit(SKIP)


def wire():
    import gcmonwire  # noqa: E402 (needs gcmon_pb2 on the path)
    return gcmonwire


def pb():
    import gcmon_pb2  # noqa: E402
    return gcmon_pb2


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PtyPair:
    """Two linked pseudo-terminals (socat), like the two ends of a cable."""

    def __init__(self):
        if not shutil.which("socat"):
            raise unittest.SkipTest("socat is not installed")
        self.dir = tempfile.mkdtemp(prefix="gcmon-pty-")
        self.a = os.path.join(self.dir, "daemon")
        self.b = os.path.join(self.dir, "host")
        self.proc = subprocess.Popen(
            ["socat", f"pty,raw,echo=0,link={self.a}",
             f"pty,raw,echo=0,link={self.b}"],
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not (os.path.exists(self.a) and os.path.exists(self.b)):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("socat did not make the pty pair")
            time.sleep(0.02)

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """gcmond --source sim on a loopback port, optionally also on a UART."""

    def __init__(self, *args, port=0, uart=None, interval=20):
        cmd = ["--source", "sim", "--seed", "7", "--interval", str(interval)]
        if uart:
            cmd += ["--uart", uart]
        self.d = wire().Daemon(GCMOND, *(cmd + list(args)), prefix=PREFIX,
                               listen=f"127.0.0.1:{port}")
        self.port = self.d.port

    def stop(self):
        rc = self.d.stop()
        if self.d.proc.stderr:
            self.d.proc.stderr.close()
        return rc

    def log(self):
        return self.d.log_text()

    def run_id(self):
        c = self.client()
        try:
            return c.hello().hello.run_id
        finally:
            c.close()

    def client(self):
        """An independent session (gcmonwire) to compare against."""
        c = wire().Client.tcp(self.port)
        c.hello()
        return c


def run(*args, target=None, env=None, timeout=30, check=None, stdin=None):
    """Run gcmon; returns CompletedProcess (text)."""
    e = dict(os.environ)
    e.pop("GCMON_TOKEN", None)
    if target:
        e["GCMON_TARGET"] = target
    if env:
        e.update(env)
    p = subprocess.run(PREFIX + [GCMON] + list(args), capture_output=True,
                       text=True,
                       env=e, timeout=timeout, stdin=stdin)
    if check is not None and p.returncode != check:
        raise AssertionError(f"gcmon {' '.join(args)}: exit {p.returncode}, "
                             f"want {check}\nstdout: {p.stdout}\n"
                             f"stderr: {p.stderr}")
    return p


def run_json(*args, target=None):
    return json.loads(run(*args, "--json", target=target, check=0).stdout)


def start(*args, target=None, stdout=subprocess.PIPE):
    e = dict(os.environ)
    if target:
        e["GCMON_TARGET"] = target
    return subprocess.Popen(PREFIX + [GCMON] + list(args), stdout=stdout,
                            stderr=subprocess.PIPE, text=True, env=e)


def interrupt(proc, timeout=15):
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def sample_dict(s):
    """A protobuf Sample as gcmon's JSON spells it (absent groups left out)."""
    d = {"seq": s.seq, "uptime_us": s.uptime_us}
    if s.HasField("gc"):
        d["gc"] = {"mem_alloc": s.gc.mem_alloc, "mem_free": s.gc.mem_free,
                   "threshold": s.gc.threshold, "enabled": s.gc.enabled,
                   "collections": s.gc.collections,
                   "largest_free": s.gc.largest_free}
    d["sys_total"] = s.sys_total
    for name in ("sys_heap", "sys_page", "sys_mmz"):
        if s.HasField(name):
            m = getattr(s, name)
            d[name] = {"total": m.total, "used": m.used, "free": m.free}
    return d


def history_by_seq(client, from_seq=0):
    """Every retained sample, independently, keyed by seq."""
    P = pb()
    out = {}
    nxt = from_seq
    while True:
        r = client.call(get_history=P.GetHistoryRequest(from_seq=nxt))
        if not r.history.samples:
            return out
        for s in r.history.samples:
            out[s.seq] = sample_dict(s)
        nxt = r.history.next_seq


def get_sample(client):
    return client.call(get_sample=pb().GetSampleRequest()).sample
