"""Record real gcmond traffic and turn it into the fuzz targets' seed corpora.

    /usr/bin/python3 tests/fuzz/capture_corpus.py --build build

starts build/daemon/gcmond (sim source, fixed seed) on loopback, plays a few
scripted sessions through a recording socket (every call, the error cases,
streaming, a refused connection), and writes, replacing what is there:

    tests/fuzz/corpus/fuzz_frame_decoder/   both directions of each session
                                            as wire bytes (some with console
                                            text between frames, some for a
                                            small decoder buffer)
    tests/fuzz/corpus/fuzz_agent_session/   each session's requests as an
                                            agent script (fuzz_agent_session.c)
    tests/fuzz/corpus/fuzz_client_replies/  each session's daemon replies (one
                                            session makes exactly the calls
                                            fuzz_client_replies.c makes)

Files are capped at a few KiB so the corpus stays small. Run it again after a
protocol change and commit the result.
"""
import argparse
import os
import shutil
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MAX_FILE = 4096


class RecordingSocket:
    """A socket that keeps a copy of everything sent and received."""

    def __init__(self, sock):
        self.sock = sock
        self.tx = bytearray()
        self.rx = bytearray()

    def sendall(self, data):
        self.tx += data
        self.sock.sendall(data)

    def recv(self, n):
        data = self.sock.recv(n)
        self.rx += data
        return data

    def __getattr__(self, name):
        return getattr(self.sock, name)


def connect(w, port):
    c = w.Client.tcp(port)
    c.sock = RecordingSocket(c.sock)
    return c


def raw_request(c, req_id, body):
    """A Packet{request: id + body} built by hand (for shapes the Python
    protobuf runtime will not produce)."""
    import gcmonwire
    req = bytes([0x08]) + varint(req_id) + body
    c.send_raw(gcmonwire.frame(bytes([0x0A]) + varint(len(req)) + req))
    return req_id


def varint(v):
    import gcmonwire
    return gcmonwire.varint(v)


def session_calls(w, pb, port):
    c = connect(w, port)
    c.hello()
    c.call(get_sample=pb.GetSampleRequest())
    time.sleep(0.1)
    c.call(get_history=pb.GetHistoryRequest())
    c.call(get_history=pb.GetHistoryRequest(from_seq=2, max_count=2))
    sub = c.call(subscribe=pb.SubscribeRequest(interval_ms=0)).subscribed
    c.events(sub.subscription, 4)
    c.call(unsubscribe=pb.UnsubscribeRequest(subscription=sub.subscription))
    r = c.call(subscribe=pb.SubscribeRequest(interval_ms=45, from_seq=1))
    c.events(r.subscribed.subscription, 3)
    c.call(set_threshold=pb.SetThresholdRequest(bytes=4096))
    c.call(set_threshold=pb.SetThresholdRequest(bytes=-1))
    c.call(set_enabled=pb.SetEnabledRequest(enabled=False))
    c.call(set_enabled=pb.SetEnabledRequest(enabled=True))
    c.call(collect=pb.CollectRequest())
    c.close()
    return c.sock


def session_errors(w, pb, port):
    c = connect(w, port)
    c.call(get_sample=pb.GetSampleRequest())            # before hello
    c.hello(version=2)                                  # wrong version
    c.hello(token=b"not-the-token")
    p = pb.Packet()
    p.request.id = 0                                    # id 0
    p.request.get_sample.SetInParent()
    c.send_packet(p)
    c.response(0)
    c.response(raw_request(c, 40, bytes([0x9A, 0x06, 0x00])))  # unknown call
    c.call(subscribe=pb.SubscribeRequest(interval_ms=86400001))
    c.call(subscribe=pb.SubscribeRequest(from_seq=10 ** 9))
    c.call(unsubscribe=pb.UnsubscribeRequest(subscription=9))
    hello = bytes([0x08, 0x01, 0x12, 40]) + b"c" * 40   # client > 32 bytes
    c.response(raw_request(c, 41, bytes([0x12, len(hello)]) + hello))
    hello = bytes([0x08, 0x01, 0x1A, 65]) + b"t" * 65   # token > 64 bytes
    c.response(raw_request(c, 42, bytes([0x12, len(hello)]) + hello))
    sub = bytes([0x08]) + b"\xff" * 9 + b"\x01"         # interval_ms = -1
    c.response(raw_request(c, 43, bytes([0x3A, len(sub)]) + sub))
    c.response(raw_request(c, 44, bytes([0x12, 0x05, 0x08])))  # truncated
    c.response(raw_request(c, 45, bytes([0x2A, 0x02, 0x08, 0x01])))  # wire
    q = pb.Packet()                                     # a response
    q.response.id = 46
    q.response.status.code = pb.Status.OK
    c.send_packet(q)
    q = pb.Packet()                                     # an event
    q.event.subscription = 1
    q.event.sample.seq = 1
    c.send_packet(q)
    for _ in range(5):                                  # limit: 4
        c.call(subscribe=pb.SubscribeRequest(interval_ms=1000))
    c.call(get_sample=pb.GetSampleRequest())
    c.close()
    return c.sock


def session_pipelined(w, pb, port):
    c = connect(w, port)
    c.hello()
    ids = [c.request(get_history=pb.GetHistoryRequest(from_seq=i))
           for i in range(1, 9)]
    ids += [c.request(get_sample=pb.GetSampleRequest()) for _ in range(4)]
    for i in ids:
        c.response(i)
    c.close()
    return c.sock


def session_client_batches(w, pb, port):
    """The call sequence fuzz_client_replies.c keeps in flight, twice, so
    the daemon's answers match the harness's calls id for id."""
    c = connect(w, port)
    time.sleep(0.1)  # some history to replay
    for _ in range(2):
        ids = [
            c.request(hello=pb.HelloRequest(version=1, client="fuzz",
                                            token=b"fuzz")),
            c.request(get_sample=pb.GetSampleRequest()),
            c.request(collect=pb.CollectRequest()),
            c.request(set_threshold=pb.SetThresholdRequest(bytes=4096)),
            c.request(set_enabled=pb.SetEnabledRequest(enabled=True)),
            c.request(subscribe=pb.SubscribeRequest(from_seq=1)),
            c.request(get_history=pb.GetHistoryRequest(from_seq=1)),
            c.request(unsubscribe=pb.UnsubscribeRequest(subscription=1)),
        ]
        for i in ids:
            c.response(i)
    c.close()
    return c.sock


def session_refused(w, pb, d):
    """Fill the daemon's sessions; the next connection gets the refusal."""
    hold = [connect(w, d.port) for _ in range(2)]
    for h in hold:
        h.hello()
    c = connect(w, d.port)
    try:
        c.wait(lambda p: False, 2)
    except (w.Closed, TimeoutError):
        pass
    for h in hold:
        h.close()
    c.close()
    return c.sock


def mac_session_script(pb, auth):
    """An untrusted peer's 1.1 session against fuzz_agent_session.c's agent
    (token "fuzz-token", run_id 0x230, every server nonce a0..af): hello
    with a client nonce, auth with the right proof, MAC'd control calls
    (good, stale, another key, a flipped tag, a mac on a read), a wrong
    proof after a second hello. Synthetic: a real daemon's nonce is random,
    so recorded traffic could never verify in the fuzzer."""
    token, run_id = b"fuzz-token", 0x230
    server_nonce = bytes(0xa0 + i for i in range(16))
    client_nonce = bytes(range(16))
    key = auth.session_key(token, server_nonce, client_nonce, run_id)
    other = auth.session_key(b"other", server_nonce, client_nonce, run_id)

    def req(req_id, **call):
        r = pb.Request(id=req_id)
        (name, msg), = call.items()
        getattr(r, name).CopyFrom(msg)
        return r

    def plain(r):
        return pb.Packet(request=r).SerializeToString()

    hello = req(1, hello=pb.HelloRequest(version=1, minor=1, client="fuzz",
                                         client_nonce=client_nonce))
    thr = pb.SetThresholdRequest(bytes=4096)
    flipped = bytearray(auth.mac_packet(key, 4, req(7, set_threshold=thr)))
    flipped[-1] ^= 0x01
    payloads = [
        plain(hello),
        plain(req(2, auth=pb.AuthRequest(proof=auth.proof(key)))),
        auth.mac_packet(key, 1, req(3, set_threshold=thr)),
        auth.mac_packet(key, 2, req(4, collect=pb.CollectRequest())),
        auth.mac_packet(key, 2, req(5, set_enabled=pb.SetEnabledRequest(
            enabled=False))),                                  # stale
        auth.mac_packet(other, 3, req(6, set_threshold=thr)),  # other key
        bytes(flipped),
        auth.mac_packet(key, 3, req(8, get_sample=pb.GetSampleRequest())),
        plain(req(9, set_threshold=thr)),                      # no mac
        plain(req(10, hello=hello.hello)),
        plain(req(11, auth=pb.AuthRequest(proof=auth.proof(other)))),
        plain(req(12, auth=pb.AuthRequest(proof=auth.proof(key)))),
    ]
    return bytes([7]) + agent_script(payloads)


def with_1_1_hello(w, pb, rx):
    """The daemon's replies rx with every hello answer made a 1.1 one
    (minor, a nonce, mac_required) and an auth result after it: what a
    MAC session's client decodes (the auth answer matches no call of the
    harness, so it is counted as unmatched)."""
    out = bytearray()
    for payload in frames(w, rx):
        p = pb.Packet.FromString(payload)
        extra = None
        if p.WhichOneof("kind") == "response" and \
                p.response.WhichOneof("result") == "hello":
            h = p.response.hello
            h.minor, h.nonce, h.mac_required = 1, bytes(range(16)), True
            extra = pb.Packet(response=pb.Response(
                id=0x7fffffff, auth=pb.AuthResult(control=True)))
        out += w.frame(p.SerializeToString())
        if extra:
            out += w.frame(extra.SerializeToString())
    return bytes(out)


def frames(w, data):
    d = w.Deframer()
    return d.feed(bytes(data))


def console_noise(data):
    """The stream with a board's console lines between some frames."""
    out = bytearray()
    lines = [b"[   12.345678] rtsmart: msh />\r\n", b"\x1b[0mMicroPython v1.0\r\n",
             b"gc: collected 1234 bytes\n"]
    parts = bytes(data).split(b"\x7e\x7e")
    for i, part in enumerate(parts):
        out += part
        if i + 1 < len(parts):
            out += b"\x7e" + lines[i % len(lines)] + b"\x7e"
    return bytes(out)


def agent_script(payloads, ticks_between=1):
    out = bytearray()
    for p in payloads:
        out += bytes([0]) + struct.pack("<H", len(p)) + p
        out += bytes([3, 0])                       # drain everything
        for _ in range(ticks_between):
            out += bytes([2, 0])                   # one tick
    return bytes(out)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data[:MAX_FILE])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = ap.parse_args()
    sys.path[:0] = [os.path.join(args.build, "generated", "python"),
                    os.path.join(ROOT, "tests", "daemon")]
    import gcmonwire as w
    import gcmon_pb2 as pb
    gcmond = os.path.join(args.build, "daemon", "gcmond")

    d = w.Daemon(gcmond, "--interval", "15", "--seed", "42",
                 "--max-sessions", "2")
    try:
        captured = {
            "calls": session_calls(w, pb, d.port),
            "errors": session_errors(w, pb, d.port),
            "pipelined": session_pipelined(w, pb, d.port),
            "client-batches": session_client_batches(w, pb, d.port),
            "refused": session_refused(w, pb, d),
        }
    finally:
        d.stop()

    dirs = {}
    for target in ("fuzz_frame_decoder", "fuzz_agent_session",
                   "fuzz_client_replies"):
        dirs[target] = os.path.join(args.out, target)
        shutil.rmtree(dirs[target], ignore_errors=True)
        os.makedirs(dirs[target])

    fd = dirs["fuzz_frame_decoder"]
    for name, s in captured.items():
        # byte 0: odd = full-size buffer, even = small; byte 1: chunk seed
        write(os.path.join(fd, f"{name}-rx"), b"\x01\x07" + bytes(s.rx))
        if s.tx:
            write(os.path.join(fd, f"{name}-tx"), b"\x01\x03" + bytes(s.tx))
        write(os.path.join(fd, f"{name}-rx-console"),
              b"\x01\x11" + console_noise(s.rx))
        write(os.path.join(fd, f"{name}-rx-small-buffer"),
              b"\x40\x05" + bytes(s.rx))

    ad = dirs["fuzz_agent_session"]
    for name, s in captured.items():
        if not s.tx:
            continue
        write(os.path.join(ad, f"{name}-frames"), agent_script(frames(w, s.tx)))
        raw = bytes(s.tx[:2048])
        write(os.path.join(ad, f"{name}-raw"),
              bytes([1]) + struct.pack("<H", len(raw)) + raw + bytes([3, 0]))
    # two sessions at once and a third refused, then an untrusted peer
    calls = frames(w, captured["calls"].tx)
    mixed = (agent_script(calls[:3]) + bytes([4, 1]) + agent_script(calls[:2])
             + bytes([4, 2]) + agent_script(calls[:1]) + bytes([4, 0, 7])
             + agent_script(calls))
    write(os.path.join(ad, "sessions-and-refusal"), mixed)
    import gcmonauth
    write(os.path.join(ad, "mac-session"), mac_session_script(pb, gcmonauth))

    cd = dirs["fuzz_client_replies"]
    for name, s in captured.items():
        # byte 0: chunk size - 1
        write(os.path.join(cd, f"{name}-rx"), b"\x3f" + bytes(s.rx))
    write(os.path.join(cd, "client-batches-rx-bytewise"),
          b"\x00" + bytes(captured["client-batches"].rx))
    write(os.path.join(cd, "client-batches-rx-console"),
          b"\xff" + console_noise(captured["client-batches"].rx))
    write(os.path.join(cd, "client-batches-1.1-rx"),
          b"\x3f" + with_1_1_hello(w, pb, captured["client-batches"].rx))

    for target, path in dirs.items():
        n = len(os.listdir(path))
        size = sum(os.path.getsize(os.path.join(path, f))
                   for f in os.listdir(path))
        print(f"{target}: {n} files, {size} bytes")


if __name__ == "__main__":
    main()
