"""The gcmon verbs the MicroPython tests use (stat, collect, threshold,
enable, disable) against a target on loopback TCP.

With GCMON naming the gcmon CLI (ctest sets it when the client is built),
each verb is one real `gcmon -t tcp://127.0.0.1:PORT VERB --json` run, its
JSON read back into the protocol's messages. Without it, the same calls go
through the independent protocol client in tests/daemon/gcmonwire.py."""
import json
import os
import subprocess

from google.protobuf import json_format

import gcmonwire
import gcmon_pb2 as pb

SUFFIX = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text):
    """"64K" -> 65536, "off" -> -1 (as the CLI reads them)."""
    if text == "off":
        return -1
    if text[-1] in SUFFIX:
        return int(float(text[:-1]) * SUFFIX[text[-1]])
    return int(text)


class Target:
    def __init__(self, port, host="127.0.0.1"):
        self.port, self.host = port, host
        self.cli = os.environ.get("GCMON") or None
        self.prefix = os.environ.get("GCMON_EXEC_PREFIX", "").split()

    def via(self):
        return "the gcmon CLI" if self.cli else "gcmonwire"

    def _run(self, *args):
        cmd = self.prefix + [self.cli, "-t", "tcp://%s:%d" % (
            self.host, self.port), "--timeout", "10s"] + list(args) + [
                "--json"]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("%s: exit %d: %s" % (" ".join(args),
                                                   p.returncode, p.stderr))
        return json.loads(p.stdout)

    def _call(self, timeout=10.0, **call):
        c = gcmonwire.Client.tcp(self.port, self.host)
        try:
            hello = c.hello()
            assert hello.status.code == pb.Status.OK, hello
            resp = c.call(timeout=timeout, **call)
        finally:
            c.close()
        if resp.status.code != pb.Status.OK:
            raise RuntimeError("%s: %s" % (pb.Status.Code.Name(
                resp.status.code), resp.status.message))
        return resp

    def stat(self):
        """`gcmon stat`: an on-demand Sample."""
        if self.cli:
            return json_format.ParseDict(self._run("stat"), pb.Sample(),
                                         ignore_unknown_fields=True)
        return self._call(get_sample=pb.GetSampleRequest()).sample

    def collect(self):
        """`gcmon collect`: a CollectResult (freed_bytes, duration_us,
        after)."""
        if self.cli:
            return json_format.ParseDict(self._run("collect"),
                                         pb.CollectResult(),
                                         ignore_unknown_fields=True)
        return self._call(collect=pb.CollectRequest()).collect

    def threshold(self, size):
        """`gcmon threshold SIZE` ("64K", "off"); the threshold after."""
        if self.cli:
            return self._run("threshold", size)["threshold"]
        return self._call(set_threshold=pb.SetThresholdRequest(
            bytes=parse_size(size))).sample.gc.threshold

    def enable(self, on=True):
        """`gcmon enable` / `gcmon disable`; the state after."""
        if self.cli:
            return self._run("enable" if on else "disable")["enabled"]
        return self._call(set_enabled=pb.SetEnabledRequest(
            enabled=on)).sample.gc.enabled
