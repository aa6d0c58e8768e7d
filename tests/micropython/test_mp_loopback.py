"""The module's server (loop thread, mailbox, micropython source) on a
pretend VM, driven over loopback TCP: what `gcmon stat`, `collect`,
`threshold` and `disable` report is what the VM holds, and a subscription
streams samples; and while the program keeps the GIL, samples, history and
the link keep flowing and VM-bound calls answer UNAVAILABLE after the
timeout once, then at once. mp_fake_agent plays the MicroPython program."""
import os
import subprocess
import sys
import time

import gcmonwire
import gcmon_pb2 as pb
from mpctl import Target


class FakeProgram:
    def __init__(self, binary):
        prefix = os.environ.get("GCMON_EXEC_PREFIX", "").split()
        self.proc = subprocess.Popen(prefix + [binary], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().split()

    def state(self):
        w = self.cmd("state")
        return {w[i]: int(w[i + 1]) for i in range(0, len(w), 2)}

    def quit(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        return self.proc.wait(20)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok  ", what)


def gil_held(prog):
    """time.sleep_ms(10000) on the GIL build: the VM is shut for 3 s."""
    c = gcmonwire.Client.tcp(prog.port)
    c.hello()
    sub = c.call(subscribe=pb.SubscribeRequest(interval_ms=100))
    sid = sub.subscribed.subscription
    c.events(sid, 2)
    prog.cmd("hold")
    t0 = time.monotonic()
    answers = []
    for call in [dict(get_sample=pb.GetSampleRequest()),
                 dict(collect=pb.CollectRequest()),
                 dict(get_sample=pb.GetSampleRequest()),
                 dict(set_enabled=pb.SetEnabledRequest(enabled=False))]:
        t = time.monotonic()
        r = c.call(**call)
        answers.append((r.status.code, time.monotonic() - t, r.status.message))
    first, rest = answers[0], answers[1:]
    check(all(a[0] == pb.Status.UNAVAILABLE for a in answers),
          "GIL held: VM-bound calls UNAVAILABLE (%s)" % first[2])
    check(first[2].count("micropython") == 1, "the source named once")
    # before: each of them waited the 500 ms (and the samples with them)
    check(0.45 < first[1] < 2.5 and all(a[1] < 0.4 for a in rest),
          "GIL held: the first waits the 500 ms timeout (%.0f ms), the next "
          "answer at once (at most %.0f ms)"
          % (first[1] * 1000, max(a[1] for a in rest) * 1000))
    events = c.events(sid, 20, timeout=5)
    held = time.monotonic() - t0
    h = c.call(get_history=pb.GetHistoryRequest(max_count=4))
    check(h.status.code == pb.Status.OK and len(h.history.samples) == 4,
          "GIL held: history answers")
    seqs = [e.seq for e in events]
    check(seqs == list(range(seqs[0], seqs[0] + 20)) and held < 6,
          "GIL held: 20 samples in %.1f s, in order, %d without gc"
          % (held, sum(not e.HasField("gc") for e in events)))
    prog.cmd("release")
    deadline = time.monotonic() + 5
    while not c.events(sid, 1)[0].HasField("gc"):
        check(time.monotonic() < deadline, "gc back in the samples")
    check(c.call(get_sample=pb.GetSampleRequest()).status.code
          == pb.Status.OK, "GIL released: get_sample answers again")
    c.close()


def main():
    prog = FakeProgram(os.environ["GCMON_MP_FAKE_AGENT"])
    t = Target(prog.port)
    print("asking through", t.via())

    prog.cmd("alloc 1000")
    prog.cmd("garbage 5000")
    s, vm = t.stat(), prog.state()
    check(s.gc.mem_alloc == vm["mem_alloc"] == 6016
          and s.gc.mem_free == vm["mem_free"],
          "stat: mem_alloc/mem_free are the VM's (%d/%d)"
          % (s.gc.mem_alloc, s.gc.mem_free))
    check(s.seq == 0 and s.gc.threshold == -1 and s.gc.enabled,
          "stat: an on-demand sample, threshold off, enabled")

    r = t.collect()
    check(r.freed_bytes == 5008 and r.after.gc.mem_alloc == 1008
          and prog.state()["mem_alloc"] == 1008,
          "collect: frees the garbage (%d bytes)" % r.freed_bytes)
    check(r.after.gc.collections >= 1, "collect: counted")

    thr = t.threshold("64K")
    check(prog.state()["threshold"] == 65536 and thr == 65536,
          "threshold 64K: the VM's threshold is 65536")
    t.threshold("off")
    check(prog.state()["threshold"] == -1, "threshold off")

    on = t.enable(False)
    check(prog.state()["enabled"] == 0 and not on,
          "disable: the VM's auto-collect is off")
    t.enable(True)
    check(prog.state()["enabled"] == 1, "enable: back on")

    c = gcmonwire.Client.tcp(prog.port)
    c.hello()
    sub = c.call(subscribe=pb.SubscribeRequest(interval_ms=100))
    events = c.events(sub.subscribed.subscription, 5)
    seqs = [e.seq for e in events]
    check(seqs == sorted(seqs) and len(set(seqs)) == 5
          and all(e.HasField("gc") for e in events),
          "subscribe: 5 series samples in order %s" % seqs)
    c.close()

    # Collection records: the remote collect above and a gc.collect() of
    # the program's own, each with the pause the VM took (FAKE_VM_PAUSE_US:
    # about 1.1 ms for its 2 MiB heap).
    prog.cmd("garbage 3000")
    prog.cmd("collect")
    c = gcmonwire.Client.tcp(prog.port)
    c.hello()
    recs = []
    for _ in range(50):  # the next sampler tick (100 ms) takes it over
        recs = list(c.call(get_collections=pb.GetCollectionsRequest())
                    .collections.records)
        if any(r.cause == pb.CollectionRecord.PROGRAM for r in recs):
            break
        time.sleep(0.05)
    causes = [pb.CollectionRecord.Cause.Name(r.cause) for r in recs]
    check(causes == ["REMOTE", "PROGRAM"],
          "collections: the remote one and the program's (%s)" % causes)
    remote, program = recs
    check(remote.freed_bytes == 5008 and 1000 <= remote.pause_us < 100000,
          "remote collect: freed 5008 bytes, pause %d us" % remote.pause_us)
    check(program.freed_bytes == 3008 and 1000 <= program.pause_us < 100000
          and program.alloc_after == 1008,
          "program's gc.collect(): freed 3008 bytes, pause %d us"
          % program.pause_us)
    c.close()
    gil_held(prog)

    st = prog.cmd("status")
    check(st[2] == "read_errors" and st[3] == "0",
          "no read errors (%s)" % " ".join(st))
    check(prog.quit() == 0, "stops cleanly")


if __name__ == "__main__":
    main()
    sys.exit(0)
