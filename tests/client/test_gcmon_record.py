"""gcmon record across trouble: the TCP connection cut mid-record (through
a proxy that drops every connection on demand), and the daemon itself
restarted on the same port. The CSV must hold a contiguous seq run per
daemon run, with the restart marked and told apart by run_id.

    GCMON=<gcmon> GCMOND=<gcmond> GCMON_PYTHON test_gcmon_record.py
"""
import csv
import os
import socket
import tempfile
import threading
import time
import unittest

import clitest as t


class Proxy:
    """Loopback TCP relay to a port; drop() cuts every live connection."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.port = self.srv.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = []
        self.accepted = 0
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                a, _ = self.srv.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                a.close()
                continue
            with self.lock:
                self.conns += [a, b]
                self.accepted += 1
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self._pump, args=(src, dst),
                                 daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.running = False
        self.srv.close()
        self.drop()


def rows_of(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def samples(rows):
    return [r for r in rows if r["event"] == "sample"]


class Record(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "rec.csv")
        self.daemon = None

    def tearDown(self):
        if self.daemon:
            self.daemon.stop()
        self.dir.cleanup()

    def wait_rows(self, n, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(self.path) and len(samples(rows_of(self.path))) >= n:
                return
            time.sleep(0.05)
        self.fail(f"fewer than {n} samples recorded")

    def test_cut_connection_resumes_with_a_contiguous_seq_run(self):
        self.daemon = t.Daemon(interval=20)
        proxy = Proxy(self.daemon.port)
        self.addCleanup(proxy.close)
        p = t.start("record", "--csv", self.path,
                    target=f"tcp://127.0.0.1:{proxy.port}")
        self.wait_rows(15)
        proxy.drop()
        self.wait_rows(40)
        proxy.drop()
        self.wait_rows(65)
        rc, _, err = t.interrupt(p)
        self.assertEqual(0, rc, err)
        rows = rows_of(self.path)
        # no gap or restart (the sim's collection records may come too)
        rows = [r for r in rows if r["event"] != "collection"]
        self.assertEqual([], [r for r in rows if r["event"] != "sample"])
        seqs = [int(r["seq"]) for r in rows]
        self.assertEqual(list(range(seqs[0], seqs[-1] + 1)), seqs)
        self.assertEqual(1, len({r["run_id"] for r in rows}))
        self.assertEqual(3, proxy.accepted)  # two reconnects
        self.assertEqual(2, err.count("link lost"), err)
        self.assertEqual(2, err.count("reconnected"), err)
        c = self.daemon.client()
        want = t.history_by_seq(c)
        c.close()
        for r in rows:
            self.assertEqual(want[int(r["seq"])]["gc"]["mem_alloc"],
                             int(r["gc.mem_alloc"]))

    def test_daemon_restart_is_marked_and_each_run_is_contiguous(self):
        port = t.free_port()
        self.daemon = t.Daemon(interval=20, port=port)
        first_run = self.daemon.run_id()
        p = t.start("record", "--csv", self.path,
                    target=f"tcp://127.0.0.1:{port}")
        self.wait_rows(15)
        self.daemon.stop()
        self.daemon = t.Daemon(interval=20, port=port)
        second_run = self.daemon.run_id()
        self.assertNotEqual(first_run, second_run)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len([r for r in samples(rows_of(self.path))
                    if r["run_id"] == f"{second_run:016x}"]) >= 15:
                break
            time.sleep(0.05)
        rc, _, err = t.interrupt(p)
        self.assertEqual(0, rc, err)
        rows = rows_of(self.path)
        marks = [i for i, r in enumerate(rows) if r["event"] == "restart"]
        self.assertEqual(1, len(marks), rows)
        before, after = rows[:marks[0]], rows[marks[0] + 1:]
        self.assertEqual(f"{second_run:016x}", rows[marks[0]]["run_id"])
        self.assertEqual(f"{first_run:016x}", rows[marks[0]]["prev_run_id"])
        self.assertEqual({f"{first_run:016x}"}, {r["run_id"] for r in before})
        self.assertEqual({f"{second_run:016x}"},
                         {r["run_id"] for r in samples(after)})
        for part in (before, samples(after)):
            seqs = [int(r["seq"]) for r in part]
            self.assertEqual(list(range(seqs[0], seqs[-1] + 1)), seqs)
        # The new run from its start, or a gap row saying what is gone.
        gaps = [r for r in after if r["event"] == "gap"]
        first_new = int(samples(after)[0]["seq"])
        self.assertTrue(first_new == 1 or
                        (gaps and int(gaps[0]["first"]) == 1), after[:3])
        self.assertIn("restarted", err)


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main(verbosity=2)
