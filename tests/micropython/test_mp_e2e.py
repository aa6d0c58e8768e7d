"""End to end against a real MicroPython built with the gcmon module.

Runs only when GCMON_MICROPYTHON names such a binary (exit 77 = skipped
otherwise). It starts mp_program.py under it and proves, over TCP with the
protocol client:

  stat       mem_alloc/mem_free equal gc.mem_alloc()/gc.mem_free() read by
             the program at the same moment (a quiet window in which the
             program's heap stands still), while the program otherwise
             allocates and frees all the time
  collect    reduces mem_alloc after the program made garbage
  threshold  `threshold 64K` is what gc.threshold() returns
  disable    is what gc.isenabled() returns
  idle REPL  collect/threshold work while the REPL waits for a key, and
             the first collect frees a list the REPL has just dropped

With GCMON_SOAK_SECONDS=N it then runs the soak: 10 Hz sampling (a full
scan each), a collect every second, a subscriber, and the busy program, for
N seconds; at the end the program's data must check out, the heap figures
must still agree, and everything must stop cleanly.

    GCMON_MICROPYTHON=/path/to/micropython [GCMON_SOAK_SECONDS=600] \\
        ctest -R test_mp_e2e --output-on-failure
"""
import os
import pty
import queue
import re
import select
import subprocess
import sys
import threading
import time

import gcmonwire
import gcmon_pb2 as pb
from mpctl import Target

HERE = os.path.dirname(os.path.abspath(__file__))
BLOCK = 16  # MICROPY_BYTES_PER_GC_BLOCK on 64-bit ports


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what, flush=True)


class Program:
    """mp_program.py under the MicroPython binary."""

    def __init__(self, binary, interval_ms, scan_ms):
        self.proc = subprocess.Popen(
            [binary, os.path.join(HERE, "mp_program.py"), str(interval_ms),
             str(scan_ms)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        # A reader thread, not select(): two lines may arrive in one read.
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        w = self.line().split()
        self.port, self.gil = int(w[1]), w[3] == "1"

    def _read(self):
        for s in self.proc.stdout:
            self.lines.put(s)
        self.lines.put("")

    def line(self, timeout=30):
        try:
            s = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("mp_program.py said nothing")
        if not s:
            raise RuntimeError("mp_program.py ended (exit %s)"
                               % self.proc.poll())
        return s.strip()

    def send(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()

    def cmd(self, cmd):
        self.send(cmd)
        return self.line().split()

    def window(self, cmd, during):
        """Run during() inside the program's quiet window; returns
        (result, (a0, f0, a1, f1))."""
        self.send(cmd)
        check(self.line() == "W", "window opened")
        result = during()
        w = self.line().split()
        assert w[0] == "snap", w
        return result, tuple(int(x) for x in w[1:])

    def status(self):
        w = self.cmd("status")
        err = self.line()
        return dict(kv.split("=", 1) for kv in w[1:]), err


def equal_at_the_same_moment(prog, t, rounds=5):
    for i in range(rounds):
        prog.cmd("busy 1")
        time.sleep(0.3)  # let it churn between windows
        s, (a0, f0, a1, f1) = prog.window("window 1500", t.stat)
        check(a0 == a1 and f0 == f1, "window %d: the program's heap stood "
              "still (%d)" % (i, a0))
        check(abs(s.gc.mem_alloc - a0) <= BLOCK
              and abs(s.gc.mem_free - f0) <= BLOCK,
              "stat == gc.mem_alloc()/gc.mem_free(): %d/%d vs %d/%d"
              % (s.gc.mem_alloc, s.gc.mem_free, a0, f0))


def collect_reduces(prog, t):
    prog.cmd("busy 0")

    def during():
        before = t.stat().gc.mem_alloc
        r = t.collect()
        return before, r

    (before, r), (a0, _, a1, _) = prog.window("garbage 200000 2000", during)
    check(before == a0, "garbage made: mem_alloc %d" % a0)
    check(r.freed_bytes > 100000 and r.after.gc.mem_alloc < before,
          "collect: freed %d bytes, mem_alloc %d -> %d in %d us"
          % (r.freed_bytes, before, r.after.gc.mem_alloc, r.duration_us))
    check(abs(a1 - r.after.gc.mem_alloc) <= BLOCK,
          "the program sees the collection: gc.mem_alloc() %d" % a1)


def controls_are_seen_by_python(prog, t):
    prog.cmd("busy 0")
    thr = t.threshold("64K")
    w = prog.cmd("query")
    check(w[1] == "65536" and thr == 65536,
          "threshold 64K: gc.threshold() == %s" % w[1])
    on = t.enable(False)
    w = prog.cmd("query")
    check(w[2] == "0" and not on, "disable: gc.isenabled() == False")
    t.threshold("off")
    t.enable(True)
    w = prog.cmd("query")
    check(w[1] == "-1" and w[2] == "1", "threshold off and enable: back")


def records_from(port, first):
    """The collection records numbered first and on."""
    c = gcmonwire.Client.tcp(port)
    c.hello()
    out, n = [], first
    try:
        while True:
            got = c.call(get_collections=pb.GetCollectionsRequest(
                from_number=n)).collections
            out += got.records
            if not got.records:
                return out
            n = got.next_number
    finally:
        c.close()


def collection_records(prog, t):
    """A remote collect, the program's gc.collect() and the allocator's
    collections each become one record with its cause and a pause that
    fits what was timed around it (the gc_collect() wrap, gc_hook.h)."""
    prog.cmd("busy 0")
    st, _ = prog.status()
    if st.get("gc_hook") != "True":
        print("     (no gc_collect() wrap in this build: records skipped)")
        return
    first = max([r.number for r in records_from(prog.port, 0)] + [0]) + 1
    r = t.collect()
    w = prog.cmd("timed")
    timed_us, alloc_after = int(w[1]), int(w[2])
    check(prog.cmd("auto 32768") == ["ok"], "the program filled a threshold")
    deadline = time.monotonic() + 5
    while True:  # the next sampler ticks (100 ms) take them over
        recs = records_from(prog.port, first)
        causes = [pb.CollectionRecord.Cause.Name(x.cause) for x in recs]
        if "AUTOMATIC" in causes or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check(causes[:2] == ["REMOTE", "PROGRAM"] and len(causes) >= 3
          and set(causes[2:]) == {"AUTOMATIC"},
          "records: the remote collect, the program's, then the "
          "allocator's (%s)" % causes)
    remote, program, auto = recs[0], recs[1], recs[2:]
    check(0 < remote.pause_us == r.duration_us < 50000,
          "remote: pause %d us == collect's duration" % remote.pause_us)
    check(0 < program.pause_us <= timed_us
          and abs(program.alloc_after - alloc_after) <= BLOCK,
          "program: pause %d us <= %d us the program timed, mem_alloc "
          "after %d (the program read %d)" % (program.pause_us, timed_us,
                                              program.alloc_after,
                                              alloc_after))
    check(all(0 < a.pause_us < 50000 and a.freed_bytes > 0 for a in auto),
          "automatic: pauses %s us, freed %s"
          % ([a.pause_us for a in auto], [a.freed_bytes for a in auto]))


def finish(prog, t):
    w = prog.cmd("check")
    check(w[0] == "heap", "the program's data checks out (%s)" % " ".join(w))
    prog.cmd("busy 0")
    s, (a0, f0, a1, f1) = prog.window("window 1500", t.stat)
    check(a0 == a1 and abs(s.gc.mem_alloc - a0) <= BLOCK,
          "final stat == gc.mem_alloc(): %d vs %d" % (s.gc.mem_alloc, a0))
    st, err = prog.status()
    print("     status:", st, err, flush=True)
    check(prog.cmd("stop") == ["stopped", "True"], "gcmon.stop() returns")
    prog.send("quit")
    check(prog.proc.wait(30) == 0, "the program exits 0")
    return st


def soak(binary, seconds):
    prog = Program(binary, 100, 0)
    t = Target(prog.port)
    events, errors = [0], []
    stop = threading.Event()

    def subscriber():
        try:
            c = gcmonwire.Client.tcp(prog.port)
            c.hello()
            sub = c.call(subscribe=pb.SubscribeRequest(interval_ms=100))
            sid = sub.subscribed.subscription
            while not stop.is_set():
                events[0] += len(c.events(sid, 10, timeout=30))
            c.close()
        except Exception as e:  # reported below
            errors.append(repr(e))

    th = threading.Thread(target=subscriber, daemon=True)
    th.start()
    start = time.monotonic()
    collects, freed, worst = 0, 0, 0.0
    next_report = start + 60
    while time.monotonic() - start < seconds:
        t0 = time.monotonic()
        r = t.collect()
        worst = max(worst, time.monotonic() - t0)
        collects += 1
        freed += r.freed_bytes
        if prog.proc.poll() is not None:
            raise AssertionError("MicroPython died (exit %s)"
                                 % prog.proc.returncode)
        if time.monotonic() >= next_report:
            print("     %3.0f s: %d collects, %d events, last after %d"
                  % (time.monotonic() - start, collects, events[0],
                     r.after.gc.mem_alloc), flush=True)
            next_report += 60
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    elapsed = time.monotonic() - start
    stop.set()
    th.join(60)
    check(not errors, "subscriber ran throughout %s" % errors)
    check(events[0] >= 5 * elapsed,
          "%d events in %.0f s (10 Hz asked)" % (events[0], elapsed))
    check(collects >= 0.9 * elapsed, "%d collects, %d bytes freed, slowest "
          "round trip %.0f ms" % (collects, freed, worst * 1000))
    st = finish(prog, t)
    check(st["read_errors"] == "0", "no read errors")


def idle_repl(binary):
    """The REPL blocked in read(): T2 still collects and sets the
    threshold (on unix the REPL runs no scheduled callbacks then)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([binary], stdin=slave, stdout=slave,
                            stderr=slave, close_fds=True)
    os.close(slave)
    out = bytearray()

    def until(pattern, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, out.decode(errors="replace"))
            if m:
                return m
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                out.extend(os.read(master, 4096))
        raise TimeoutError("REPL: no %r in %r" % (pattern, bytes(out)))

    def run(line, pattern):
        """Type a line at a fresh prompt; wait for pattern and the next
        prompt (typing ahead of the REPL's raw mode loses keys)."""
        del out[:]
        os.write(master, line.encode() + b"\r")
        m = until(pattern)
        until(r"\n>>> $")
        return m

    until(">>> $")
    m = run("import gc, gcmon; gcmon.start(port=0); "
            "print('PORT', gcmon.status()['port'])", r"PORT (\d+)")
    t = Target(int(m.group(1)))
    run("x = [0] * 110000", "")   # 880 KB of items, then dropped
    run("x = None", "")
    time.sleep(2)  # idle: the REPL waits for a key
    r = t.collect()
    check(r.after.HasField("gc"), "idle REPL: collect answered (%d us)"
          % r.duration_us)
    check(r.freed_bytes >= 880000, "idle REPL: the first collect frees the "
          "dropped list (%d bytes)" % r.freed_bytes)
    t.threshold("64K")
    t.enable(False)
    m = run("print('THR', gc.threshold(), gc.isenabled())",
            r"THR (-?\d+) (\w+)")
    check(m.group(1) == "65536" and m.group(2) == "False",
          "idle REPL: Python sees threshold %s, enabled %s"
          % (m.group(1), m.group(2)))
    run("print('STOP', gcmon.stop())", r"STOP True")
    # out-of-range arguments raise, naming the argument (nothing wraps)
    for arg, name in (("port=0, interval_ms=2**32+10", "interval_ms"),
                      ("port=0, baud=2**32+9600", "baud"),
                      ("port=0, baud=10**12", "baud"),
                      ("port=0, interval_ms=2**31", "interval_ms"),
                      ("port=65536", "port"),
                      ("port=0, timeout_ms=0", "timeout_ms")):
        m = run("exec(\"try:\\n gcmon.start(%s); print('STARTED')\\n"
                "except Exception as e:\\n print('RAISED', type(e).__name__, "
                "e)\")" % arg, r"(STARTED|RAISED \w+ .*)\r")
        check(m.group(1).startswith("RAISED ValueError " + name),
              "start(%s): %s" % (arg, m.group(1)))
    os.write(master, b"\x04")  # Ctrl-D: leave the REPL
    check(proc.wait(20) == 0, "REPL exits 0")
    os.close(master)


def main():
    binary = os.environ.get("GCMON_MICROPYTHON")
    if not binary:
        print("skipped: set GCMON_MICROPYTHON to a MicroPython with gcmon")
        return 77
    prog = Program(binary, 100, 1000)
    t = Target(prog.port)
    print("     MicroPython %s build, gcmon on port %d, asked through %s"
          % ("GIL" if prog.gil else "no-GIL", prog.port, t.via()),
          flush=True)
    equal_at_the_same_moment(prog, t)
    collect_reduces(prog, t)
    controls_are_seen_by_python(prog, t)
    collection_records(prog, t)
    finish(prog, t)
    idle_repl(binary)
    seconds = int(os.environ.get("GCMON_SOAK_SECONDS", "0"))
    if seconds > 0:
        soak(binary, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
