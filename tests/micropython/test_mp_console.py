"""gcmon.serve_console(), the module's side of repl:// with the agent: the
real gcmon CLI opens a pty as the board's console (repl://PTY), enters the
raw REPL of a stand-in console (tests/repl/standin.py: Ctrl-C, Ctrl-A,
code, Ctrl-D, as MicroPython's raw REPL answers) and calls
gcmon.serve_console(); the stand-in then hands the pty to the module's
console pump
(daemon/micropython/console.c) in mp_fake_agent, which serves the session
on the module's own loop thread and pretend VM until gcmon closes it.

Checked: every call is the module's (stat equals the VM to the byte,
collect frees the VM's garbage, threshold and disable reach the VM),
record streams a contiguous run, a line the program prints between frames
reaches the host counted as noise, each session ends by the host's close
byte (not the timeout) and hands the REPL back, which still answers and
still holds the program's state; a console left without frames returns
after the idle timeout.

    GCMON=<gcmon> GCMON_MP_FAKE_AGENT=<mp_fake_agent> python3 test_mp_console.py
"""
import json
import os
import select
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "repl"))
from standin import FakeAgentConsole  # noqa: E402

PRINTED = b"board: a line the program printed\r\n"
GCMON = os.environ.get("GCMON", "")
AGENT = os.environ.get("GCMON_MP_FAKE_AGENT", "")
PREFIX = os.environ.get("GCMON_EXEC_PREFIX", "").split()
VARIABLE = "4242"  # program state set before any session


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


def gcmon(*args, timeout=30):
    return subprocess.run(PREFIX + [GCMON, "--timeout", "15s"] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def friendly(board, line, timeout=5):
    fd = os.open(board.path, os.O_RDWR | os.O_NOCTTY)
    try:
        while select.select([fd], [], [], 0.1)[0]:  # the prompt gcmon left
            os.read(fd, 4096)
        os.write(fd, line.encode() + b"\r")
        got, deadline = b"", time.monotonic() + timeout
        while not got.endswith(b">>> ") or got.count(b"\n") < 2:
            if time.monotonic() > deadline:
                break
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                got += os.read(fd, 256)
        return got.decode(errors="replace")
    finally:
        os.close(fd)


def wait_returned(board):
    """gcmon exits once its close bytes are out; the call returns after."""
    deadline = time.monotonic() + 5
    while len(board.ends) < board.calls and time.monotonic() < deadline:
        time.sleep(0.02)


def state(board):
    wait_returned(board)
    w = board.cmd("state")
    return {w[i]: int(w[i + 1]) for i in range(0, len(w), 2)}


def last_end(board, what):
    wait_returned(board)
    end = board.ends[-1] if board.ends else ["none"]
    check(end[:2] == ["console", "closed"],
          f"{what}: serve_console() ended by the host's close ({end})")


def main():
    if not GCMON or not AGENT:
        print("skip: GCMON and GCMON_MP_FAKE_AGENT are needed")
        return 77
    board = FakeAgentConsole(AGENT, prefix=PREFIX,
                             answers={b"x": VARIABLE.encode()})
    target = "repl://" + board.path
    tmp = tempfile.TemporaryDirectory()
    try:
        board.cmd("alloc 300000")
        p = gcmon("-t", target, "info", "--json")
        check(p.returncode == 0, "info answers: " + p.stderr)
        info = json.loads(p.stdout)
        check(info.get("console") == {"mode": "agent"},
              f"agent mode over the console ({info.get('console')})")
        check(info.get("source") == "micropython"
              or "micropython" in json.dumps(info),
              "the module's agent answered")
        last_end(board, "info")

        p = gcmon("-t", target, "stat", "--json")
        check(p.returncode == 0, "stat answers: " + p.stdout[:300])
        s, vm = json.loads(p.stdout), state(board)
        s = s.get("gc", s)
        got = tuple(int(s.get(k, s.get(c, -1))) for k, c in
                    (("mem_alloc", "memAlloc"), ("mem_free", "memFree")))
        check(got == (vm["mem_alloc"], vm["mem_free"]),
              f"stat equals the VM ({got[0]}/{got[1]})")
        last_end(board, "stat")

        board.cmd("garbage 200000")
        p = gcmon("-t", target, "collect", "--json")
        check(p.returncode == 0, "collect answers: " + p.stderr)
        check(state(board)["mem_alloc"] == vm["mem_alloc"],
              "collect freed the VM's garbage")
        p = gcmon("-t", target, "threshold", "64K")
        check(p.returncode == 0 and state(board)["threshold"] == 65536,
              "threshold 64K reached the VM: " + p.stderr)
        p = gcmon("-t", target, "disable")
        check(p.returncode == 0 and state(board)["enabled"] == 0,
              "disable reached the VM: " + p.stderr)
        p = gcmon("-t", target, "enable")
        check(p.returncode == 0 and state(board)["enabled"] == 1,
              "enable reached the VM: " + p.stderr)
        p = gcmon("-t", target, "history", "--json")
        check(p.returncode == 0, "history answers: " + p.stderr)

        # A rule outlives the call that set it: the instance serve_console()
        # started keeps running while it holds rules, and stops once the
        # last is removed.
        p = gcmon("-t", target, "alarm", "add", "gc.free", "below", "1K",
                  "--json")
        check(p.returncode == 0, "alarm add answers: " + p.stderr)
        rule = json.loads(p.stdout)["id"]
        p = gcmon("-t", target, "alarm", "list", "--json")
        ids = [a["id"] for a in json.loads(p.stdout)["alarms"]]
        check(ids == [rule], f"the rule is there in the next call ({ids})")
        p = gcmon("-t", target, "alarm", "rm", str(rule))
        check(p.returncode == 0, "alarm rm answers: " + p.stderr)
        p = gcmon("-t", target, "alarm", "list", "--json")
        check(json.loads(p.stdout)["alarms"] == [], "and gone once removed")

        out = os.path.join(tmp.name, "rec.csv")
        rec = subprocess.Popen(PREFIX + [GCMON, "--timeout", "15s", "-t",
                                         target, "record", "--csv", out],
                               stderr=subprocess.PIPE, text=True)
        # until a dozen rows are on disk (1.2 s at 10 Hz; longer where the
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
        check(rec.returncode == 0, "record ran: " + err)
        check("0 gaps" in err, "record: a contiguous run: " + err.strip())
        noise = int(err.split(" noise bytes")[0].rsplit(" ", 1)[1])
        check(noise >= len(PRINTED),
              f"the program's line reached the host as text ({noise} B)")
        with open(out) as f:
            rows = len(f.readlines())
        check(rows > 10, f"record: {rows} rows at the module's 10 Hz")
        last_end(board, "record")

        time.sleep(0.2)
        check(board.mode == "friendly", "the REPL is back at its prompt")
        got = friendly(board, "1+1")
        check("2\r\n" in got, "the REPL answers 1+1")
        got = friendly(board, "x")
        check(VARIABLE + "\r\n" in got, "the variable set before is intact")

        # A host that goes quiet: the call returns after the idle timeout.
        before = len(board.ends)
        fd = os.open(board.path, os.O_RDWR | os.O_NOCTTY)
        os.write(fd, b"\x03\x01")
        time.sleep(0.3)
        os.write(fd, b"gcmon.serve_console()\x04")
        t0 = time.monotonic()
        while len(board.ends) == before and time.monotonic() - t0 < 10:
            while select.select([fd], [], [], 0.05)[0]:
                os.read(fd, 4096)
        os.write(fd, b"\x02")
        os.close(fd)
        check(board.ends[-1][:2] == ["console", "idle"],
              f"a silent host: returned idle after "
              f"{time.monotonic() - t0:.1f} s ({board.ends[-1]})")
    finally:
        rc = board.close()
        tmp.cleanup()
    check(rc == 0, "the module stopped cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
