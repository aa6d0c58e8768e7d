"""A half-open TCP subscriber (its host vanished: no FIN, no RST, nothing
acknowledged) loses its session within --peer-timeout, although data is
queued to it the whole time; keepalive alone never fires while there is
unacknowledged data, and retransmissions would hold the slot ~15 min.

The vanished host is made real in a private network namespace (unshare -n,
root only): the subscriber connects from 127.0.0.2, then a blackhole route
to 127.0.0.2 silently drops everything the daemon sends it. Skipped when
no namespace can be made.
"""
import os
import shutil
import subprocess
import sys
import time
import unittest

import gcmonwire as w
import gcmon_pb2 as pb
import report

GCMOND, PREFIX = None, []
PEER = "127.0.0.2"
TIMEOUT_S = 3


def ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True)


class HalfOpen(unittest.TestCase):
    def test_a_vanished_subscriber_is_dropped_within_the_peer_timeout(self):
        ip("link", "set", "lo", "up")
        d = w.Daemon(GCMOND, "--interval", "10", "--max-sessions", "2",
                     "--peer-timeout", f"{TIMEOUT_S}s", prefix=PREFIX)
        self.addCleanup(lambda: d.proc.poll() is None and d.stop())
        c = w.Client.tcp(d.port, source=(PEER, 0))
        self.addCleanup(c.close)
        c.hello()
        sub = c.call(subscribe=pb.SubscribeRequest(interval_ms=10)).subscribed
        self.assertEqual(5, len(c.events(sub.subscription, 5)))
        ip("route", "add", "blackhole", PEER + "/32", "table", "local")
        t0 = time.monotonic()
        needle = f"session closed: tcp:{PEER}:"
        while needle not in d.log_text():
            self.assertLess(time.monotonic() - t0, 30, d.log_text())
            time.sleep(0.05)
        took = time.monotonic() - t0
        self.assertLess(took, TIMEOUT_S + 3, d.log_text())
        # its slot is free again: two new sessions fit in --max-sessions 2
        others = [w.Client.tcp(d.port) for _ in range(2)]
        for o in others:
            self.addCleanup(o.close)
            self.assertEqual(pb.Status.OK, o.hello().status.code)
        self.assertEqual(0, d.stop())
        report.row("half-open subscriber", "a 100 Hz subscriber whose host "
                   "vanishes (every packet to it dropped, no FIN/RST)",
                   f"--peer-timeout {TIMEOUT_S}s",
                   f"session closed {took:.1f} s after the peer vanished "
                   "(TCP_USER_TIMEOUT; keepalive alone: ~15 min of "
                   "retransmissions); its slot taken by a new peer")


def main():
    global GCMOND, PREFIX
    GCMOND, PREFIX = w.daemon_command_from_env()
    if os.environ.get("GCMON_IN_NETNS") != "1":
        # Re-run this file in a private network namespace.
        if os.geteuid() != 0 or not shutil.which("unshare") \
                or subprocess.run(["unshare", "-n", "true"]).returncode:
            print("skip: needs root and unshare -n for a network namespace")
            sys.exit(0)
        env = dict(os.environ, GCMON_IN_NETNS="1")
        sys.exit(subprocess.run(["unshare", "-n", sys.executable] + sys.argv,
                                env=env).returncode)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
