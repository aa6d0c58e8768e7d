"""The gcmon verbs the MicroPython tests use (stat, collect, threshold,
enable, disable), spoken to a target over TCP with the independent protocol
client in tests/daemon/gcmonwire.py. Each call opens a fresh session, the
way one `gcmon` command would."""
import gcmonwire
import gcmon_pb2 as pb


class Target:
    def __init__(self, port, host="127.0.0.1"):
        self.port, self.host = port, host

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
        """An on-demand Sample."""
        return self._call(get_sample=pb.GetSampleRequest()).sample

    def collect(self):
        """A CollectResult (freed_bytes, duration_us, after)."""
        return self._call(collect=pb.CollectRequest()).collect

    def threshold(self, nbytes):
        return self._call(set_threshold=pb.SetThresholdRequest(
            bytes=nbytes)).sample

    def enable(self, on=True):
        return self._call(set_enabled=pb.SetEnabledRequest(enabled=on)).sample
