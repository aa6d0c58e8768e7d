"""Challenge-response control (docs/protocol.md), written from the spec with
Python's hmac and hashlib: an implementation independent of the C one
(proto/gcmon_mac.c), used by the tests to talk to gcmond as a 1.1 client.

    s = MacSession(client)            # a gcmonwire.Client
    h = s.hello(TOKEN)                # minor 1, a fresh client nonce
    s.auth()                          # AuthResult
    r = s.call(set_threshold=...)     # with counter and tag
"""
import hashlib
import hmac
import os
import struct

import gcmonwire as w
import gcmon_pb2 as pb

NONCE_SIZE = 16
TAG_SIZE = 16


def session_key(token, server_nonce, client_nonce, run_id):
    msg = (b"gcmon 1.1 session\0" + server_nonce + client_nonce +
           struct.pack(">Q", run_id))
    return hmac.new(token, msg, hashlib.sha256).digest()


def proof(key):
    return hmac.new(key, b"gcmon 1.1 auth\0", hashlib.sha256).digest()


def request_tag(key, counter, request_bytes):
    msg = b"gcmon 1.1 request\0" + struct.pack(">I", counter) + request_bytes
    return hmac.new(key, msg, hashlib.sha256).digest()[:TAG_SIZE]


def mac_packet(key, counter, request):
    """Packet payload bytes for request (a pb.Request without mac) carrying
    a mac: the tag covers the Request's encoding, field 30 then appended."""
    body = request.SerializeToString()
    mac = pb.RequestMac(counter=counter, tag=request_tag(key, counter, body))
    field30 = pb.Request(mac=mac).SerializeToString()
    return _packet_of(body + field30)


def _packet_of(request_bytes):
    """Packet{request} around request bytes kept exactly as they are."""
    return b"\x0a" + w.varint(len(request_bytes)) + request_bytes


class MacSession:
    """A 1.1 session over a gcmonwire.Client: hello with a client nonce,
    auth with the proof, control requests with a counter and a tag."""

    def __init__(self, client):
        self.c = client
        self.key = None
        self.counter = 0
        self.hello_response = None

    def hello(self, token, client_nonce=None):
        self.token = token
        self.client_nonce = client_nonce or os.urandom(NONCE_SIZE)
        r = self.c.call(hello=pb.HelloRequest(
            version=1, minor=1, client="pytest-mac",
            client_nonce=self.client_nonce))
        self.hello_response = r
        h = r.hello
        if len(h.nonce) == NONCE_SIZE:
            self.key = session_key(token, h.nonce, self.client_nonce,
                                   h.run_id)
        self.counter = 0
        return r

    def auth(self, key=None):
        return self.c.call(auth=pb.AuthRequest(proof=proof(key or self.key)))

    def request_payload(self, counter=None, req_id=None, key=None, **call):
        """The payload of one MAC'd request (not sent); counter defaults to
        the next one."""
        if counter is None:
            self.counter += 1
            counter = self.counter
        if req_id is None:
            req_id = self.c.next_id
            self.c.next_id += 1
        req = pb.Request(id=req_id)
        (name, msg), = call.items()
        getattr(req, name).CopyFrom(msg)
        return req_id, mac_packet(key or self.key, counter, req)

    def send_payload(self, payload):
        self.c.send_raw(w.frame(payload))

    def call(self, counter=None, **call):
        req_id, payload = self.request_payload(counter=counter, **call)
        self.send_payload(payload)
        return self.c.response(req_id)
