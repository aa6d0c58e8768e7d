"""Shared pieces of the gcmon export tests: `gcmon export` on a free
loopback port, HTTP GETs that return error statuses instead of raising,
and polling with a deadline. clitest (tests/client) must be set up first.
"""
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import clitest as t


def http_get(url, timeout=10):
    """(status, body text) of a GET, HTTP errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_for(what, fn, timeout=20, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


class Exporter:
    """gcmon export on a free loopback port; stderr drained."""

    def __init__(self, *args):
        self.proc = subprocess.Popen(
            t.PREFIX + [t.GCMON, "export", "--listen", "127.0.0.1:0"] +
            list(args), stderr=subprocess.PIPE, text=True)
        self.log = []
        self.address = None
        ready = threading.Event()

        def drain():
            for line in self.proc.stderr:
                self.log.append(line)
                m = re.search(r"http://([\d.]+:\d+)/metrics", line)
                if m and not self.address:
                    self.address = m.group(1)
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=drain, daemon=True)
        self.reader.start()
        ready.wait(15)
        if not self.address:
            raise RuntimeError("gcmon export did not start: " +
                               "".join(self.log))

    def get(self, path):
        return http_get(f"http://{self.address}{path}")

    def probe(self, target):
        return self.get("/probe?" + urllib.parse.urlencode({"target": target}))

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(15)
        self.reader.join(5)
        self.proc.stderr.close()
        return rc


def parse(body):
    """An exposition as {'name{labels}': float}; comments left out."""
    out = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out
