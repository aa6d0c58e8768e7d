# The MicroPython side of test_mp_e2e.py: runs under a MicroPython built
# with the gcmon module, starts the agent, keeps the heap busy, and obeys
# one command per stdin line so the test can compare what gcmon reports
# over TCP with what this program sees:
#
#   busy 0|1       stop / resume the allocation churn
#   window MS      quiet window: read gc.mem_alloc()/mem_free(), print "W",
#                  sleep MS without allocating, read them again, print
#                  "snap A0 F0 A1 F1" (the test asks gcmon inside the window)
#   garbage N MS   drop about N bytes of garbage, then a window
#   query          print "gc THRESHOLD ENABLED"
#   restore        gc.threshold(-1); gc.enable()
#   check          verify the churn's data, gc.collect(), print "heap ..."
#   timed          gc.collect() timed with ticks_us; print "timed US ALLOC"
#                  (ALLOC: gc.mem_alloc() right after)
#   auto N         gc.threshold(N), allocate about 4 N bytes of garbage (so
#                  the allocator collects), gc.threshold(-1); print "ok"
#   status         print "status K=V ..." from gcmon.status()
#   stop           gcmon.stop(); print "stopped RESULT"
#   quit           exit
#
# argv: interval_ms scan_ms
import gc
import sys
import time
import select

import gcmon

INTERVAL = int(sys.argv[1]) if len(sys.argv) > 1 else 100
SCAN = int(sys.argv[2]) if len(sys.argv) > 2 else 0

# Data the churn keeps and checks: key i always maps to a list whose
# contents derive from i, so any corruption of the heap shows.
store = {}
rounds = [0]


def value_for(i, gen):
    return [i, gen, str(i) * (1 + i % 7), bytearray(16 + i % 64)]


def churn():
    r = rounds[0]
    for k in range(20):
        i = (r * 20 + k) % 2000
        store[i] = value_for(i, r)
    junk = [bytes(100 + k) for k in range(30)]
    junk = None
    rounds[0] = r + 1


def check():
    for i, v in store.items():
        if v[0] != i or v[2] != str(i) * (1 + i % 7) or len(v[3]) != 16 + i % 64:
            raise RuntimeError("heap inconsistent at key %d" % i)
    return len(store)


def window(ms):
    # Nothing may allocate between the two reads. time.sleep(), not
    # sleep_ms(): on the unix port sleep_ms() keeps the GIL while it waits.
    secs = ms / 1000
    a0 = gc.mem_alloc()
    f0 = gc.mem_free()
    sys.stdout.write("W\n")
    time.sleep(secs)
    a1 = gc.mem_alloc()
    f1 = gc.mem_free()
    print("snap", a0, f0, a1, f1)


def timed_collect():
    t = time.ticks_us()
    gc.collect()
    dt = time.ticks_diff(time.ticks_us(), t)
    after = gc.mem_alloc()
    print("timed", dt, after)


def automatic(n):
    gc.threshold(n)
    for _ in range(4 * n // 1000):
        bytearray(1000)
    gc.threshold(-1)
    print("ok")


def make_garbage(n):
    junk = [bytearray(1000) for _ in range(n // 1000)]
    return len(junk)


def main():
    gcmon.start(port=0, interval_ms=INTERVAL, scan_ms=SCAN)
    print("port", gcmon.status()["port"], "gil", int(gcmon.status()["gil"]))
    poller = select.poll()
    poller.register(sys.stdin, select.POLLIN)
    busy = True
    while True:
        if busy:
            churn()
        if not poller.poll(0 if busy else 200):
            continue
        words = sys.stdin.readline().split()
        if not words:
            break
        cmd = words[0]
        if cmd == "busy":
            busy = words[1] == "1"
            print("ok")
        elif cmd == "window":
            window(int(words[1]))
        elif cmd == "garbage":
            make_garbage(int(words[1]))
            window(int(words[2]))
        elif cmd == "query":
            print("gc", gc.threshold(), int(gc.isenabled()))
        elif cmd == "restore":
            gc.threshold(-1)
            gc.enable()
            print("ok")
        elif cmd == "check":
            n = check()
            gc.collect()
            print("heap", n, rounds[0], gc.mem_alloc(), gc.mem_free())
        elif cmd == "timed":
            timed_collect()
        elif cmd == "auto":
            automatic(int(words[1]))
        elif cmd == "status":
            st = gcmon.status()
            print("status", " ".join("%s=%s" % (k, st[k]) for k in sorted(st)
                                     if k != "last_error"))
            print("last_error", st["last_error"])
        elif cmd == "stop":
            print("stopped", gcmon.stop())
        elif cmd == "quit":
            break
        else:
            print("?", cmd)


main()
