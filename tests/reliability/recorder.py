"""A recording client that survives a bad serial line, in Python.

It keeps one subscription at the sampler's rate, from the daemon's first
sample on (from_seq 1, so a slow start costs nothing), and accepts every sample
that arrives in a valid frame, from events or from history replies. Seqs
that never arrived (a damaged frame, a cut) are holes; it fills them with
get_history requests while history still retains them, so that once the
link behaves again the record is one contiguous seq run. Requests lost on
the way are retried after a timeout. When the port goes away (a hangup) it
waits for the device to come back, reopens it, says hello again (which ends
the old subscriptions, PROTOCOL.md section 3) and resubscribes with
from_seq = newest seq + 1. If events stop altogether it resubscribes the
same way.

A serial line is slow (at 115200 baud a 4-sample history reply takes about
30 ms, beside the live stream), so it behaves as a careful TCP does and
never turns congestion into collapse:

  - the retry timeout follows the measured round trip (smoothed RTT plus
    four deviations, from answers to requests sent once) and doubles after
    each expiry, so a busy line is not flooded with retries it cannot carry;
  - an answer that arrives after its request was given up on still counts:
    its samples are as good as any (the frame passed its CRC);
  - it keeps one subscription: when a new one is granted (after a silence,
    the old one may still run: the daemon never noticed the cut) the old
    one is unsubscribed, and so is any other whose events arrive (one
    whose Subscribed reply was lost and asked for again), so the line never
    carries the same stream twice. Events of the one it has back after a
    silence count as its stream again.

Every sample it accepts is kept by seq; a second copy of a seq (replay,
duplicate reply) must be identical to the first. The payload of every
valid frame is kept in order for FrameLedger checks (faultlink.py).
"""
import os
import select
import time
import tty

import gcmonwire as w
import gcmon_pb2 as pb


class Inconsistent(Exception):
    pass


class Recorder:
    def __init__(self, path, interval_ms, history_per_request=4,
                 request_timeout=0.6, silence_s=1.5, max_inflight=8):
        self.path = path
        self.interval_ms = interval_ms
        self.per_request = history_per_request
        self.request_timeout = request_timeout
        self.silence_s = silence_s
        self.max_inflight = max_inflight
        self.samples = {}        # seq -> Sample
        self.payloads = []       # every valid frame's payload, in order
        self.frames_bad = 0      # runs the deframer rejected (all links)
        self.run_ids = set()
        self.reopens = 0
        self.resubscribes = 0
        self.hole_requests = 0
        self.from_history = 0
        self.retries = 0
        self.unrecoverable = []  # (first, last) seqs history no longer had
        self.lost = set()        # their seqs: not holes to fill
        self.c = None
        self.fd = None
        self._pending = {}       # id -> (kind, sent_at, arg)
        self._hello_ok = False
        self._subscribed = False
        self._last_event = 0.0
        self._requested = {}     # hole seq -> time asked
        self._late = {}          # id -> (kind, arg): given up, may yet come
        self._sub_id = None      # the subscription it wants
        self._unsub = {}         # unwanted subscription id -> time asked
        self.unsubscribes = 0
        self.late_answers = 0
        self._srtt = None        # smoothed round trip (s), and deviation
        self._rttvar = 0.0
        self._backoff = 1        # doubled per expiry, reset by an answer

    # ---- the port -----------------------------------------------------------
    def _open(self, deadline):
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        tty.setraw(fd)
        self.fd = fd
        next_id = self.c.next_id if self.c else 1
        self.c = w.Client(fd=fd)
        # ids carry on across reopens: a late answer to the previous port's
        # request must not pass for the new one's
        self.c.next_id = next_id
        self.c.on_payload = self.payloads.append
        self._pending.clear()
        self._requested.clear()
        self._late.clear()
        self._unsub.clear()
        self._sub_id = None
        self._backoff = 1
        self._hello_ok = self._subscribed = False

    def _close(self):
        if self.c:
            self.frames_bad += self.c.deframer.bad
            self.c.deframer.bad = 0
        if self.fd is not None:
            os.close(self.fd)
        self.fd = None

    # ---- requests -----------------------------------------------------------
    def timeout(self):
        """Seconds to wait for an answer before asking again."""
        rto = self.request_timeout
        if self._srtt is not None:
            rto = max(rto, self._srtt + 4 * self._rttvar)
        return min(rto * self._backoff, 8.0)

    def _measure(self, rtt):
        if self._srtt is None:
            self._srtt, self._rttvar = rtt, rtt / 2
        else:
            self._rttvar = 0.75 * self._rttvar + 0.25 * abs(self._srtt - rtt)
            self._srtt = 0.875 * self._srtt + 0.125 * rtt
        self._backoff = 1

    def _send(self, kind, arg=None, retry=False, **call):
        try:
            rid = self.c.request(**call)
        except OSError:
            raise w.Closed()
        self._pending[rid] = (kind, time.monotonic(), arg, retry)
        return rid

    def _hello(self, retry=False):
        self._send("hello", retry=retry,
                   hello=pb.HelloRequest(version=1, client="recorder"))

    def _subscribe(self, retry=False):
        newest = max(self.samples) if self.samples else 0
        frm = newest + 1 if newest else 1  # everything, from the first
        self.resubscribes += 1 if newest else 0
        self._send("subscribe", frm, retry,
                   subscribe=pb.SubscribeRequest(interval_ms=0, from_seq=frm))
        self._last_event = time.monotonic()

    def _unsubscribe(self, sub_id):
        now = time.monotonic()
        t = self._unsub.get(sub_id)
        if t is not None and now - t < self.timeout():
            return
        self._unsub[sub_id] = now
        self.unsubscribes += 1
        self._send("unsubscribe", sub_id,
                   unsubscribe=pb.UnsubscribeRequest(subscription=sub_id))

    def holes(self):
        """Seqs from the first (1) to the newest received that are not
        here and not known to be gone."""
        if not self.samples:
            return []
        lo, hi = 1, max(self.samples)
        return [s for s in range(lo, hi + 1)
                if s not in self.samples and s not in self.lost]

    def _fill_holes(self, now):
        inflight = sum(1 for k, *_ in self._pending.values()
                       if k == "history")
        timeout = self.timeout()
        for seq in self.holes():
            if inflight >= self.max_inflight:
                break
            t = self._requested.get(seq)
            if t is not None and now - t < timeout:
                continue
            n = 1
            while (n < self.per_request and seq + n < max(self.samples)
                   and seq + n not in self.samples
                   and seq + n not in self.lost):
                n += 1
            retry = any(s in self._requested for s in range(seq, seq + n))
            for s in range(seq, seq + n):
                self._requested[s] = now
            self._send("history", seq, retry, get_history=pb.GetHistoryRequest(
                from_seq=seq, max_count=n))
            self.hole_requests += 1
            inflight += 1

    # ---- what arrives -------------------------------------------------------
    def _accept(self, s, via_history):
        old = self.samples.get(s.seq)
        if old is not None:
            if old != s:
                raise Inconsistent(f"seq {s.seq} arrived twice, different")
            return
        self.samples[s.seq] = s
        self._requested.pop(s.seq, None)
        if via_history:
            self.from_history += 1

    def _on_response(self, r):
        if r.id in self._pending:
            kind, sent, arg, retry = self._pending.pop(r.id)
            if not retry:  # Karn: a retried request's RTT is ambiguous
                self._measure(time.monotonic() - sent)
        elif r.id in self._late:
            kind, arg = self._late.pop(r.id)
            self.late_answers += 1
            if kind != "history":
                return  # asked again since; that answer decides
        else:
            return
        if kind == "hello" and r.status.code == pb.Status.OK:
            self._hello_ok = True
            self._sub_id = None  # a hello ends every subscription
            self.run_ids.add(r.hello.run_id)
        elif kind == "subscribe":
            if r.status.code == pb.Status.OK:
                self._subscribed = True
                old, self._sub_id = self._sub_id, r.subscribed.subscription
                if old is not None and old != self._sub_id:
                    self._unsubscribe(old)  # it may yet run
                first = r.subscribed.first_seq
                if arg and first > arg:
                    self.unrecoverable.append((arg, first - 1))
            elif r.status.code == pb.Status.RESOURCE_EXHAUSTED:
                self._hello_ok = False  # a hello clears old subscriptions
        elif kind == "history" and r.status.code == pb.Status.OK:
            h = r.history
            for s in h.samples:
                self._accept(s, True)
            if arg and h.oldest_seq > arg:
                lost = (arg, min(h.oldest_seq - 1, max(self.samples)))
                self.unrecoverable.append(lost)
                self.lost.update(range(lost[0], lost[1] + 1))

    def _process(self):
        for p in self.c.packets:
            kind = p.WhichOneof("kind")
            if kind == "response":
                self._on_response(p.response)
            elif kind == "event":
                sub = p.event.subscription
                if sub != self._sub_id:
                    self._unsubscribe(sub)  # a stream it no longer wants
                else:  # its stream (back after a silence, maybe)
                    self._last_event = time.monotonic()
                    self._subscribed = True
                self._accept(p.event.sample, False)
        self.c.packets.clear()

    def _expire(self, now):
        timeout, expired = self.timeout(), False
        for rid, (kind, t, arg, _) in list(self._pending.items()):
            if now - t < timeout:
                continue
            del self._pending[rid]
            self._late[rid] = (kind, arg)
            expired = True
            self.retries += 1
            if kind == "hello":
                self._hello(retry=True)
            elif kind == "subscribe" and not self._subscribed:
                self._subscribe(retry=True)
        if expired:
            self._backoff = min(self._backoff * 2, 16)

    def _step(self):
        now = time.monotonic()
        if not self._hello_ok:
            if not any(k == "hello" for k, *_ in self._pending.values()):
                self._hello()
                self._subscribed = False
        elif not self._subscribed:
            if not any(k == "subscribe" for k, *_ in self._pending.values()):
                self._subscribe()
        elif now - self._last_event > self.silence_s:
            self._subscribed = False  # the stream stopped: ask again
        if self._hello_ok:
            self._fill_holes(now)
        self._expire(now)
        r, _, _ = select.select([self.fd], [], [], 0.02)
        if r:
            self.c._pump(0)
        self._process()

    def caught_up(self, quiet_s=0.3):
        """No hole, and an event arrived within quiet_s: nothing owed."""
        return (self._subscribed and not self.holes()
                and time.monotonic() - self._last_event < quiet_s)

    def run(self, seconds):
        """Record for `seconds`; reopen the port whenever it goes away."""
        deadline = time.monotonic() + seconds
        if self.fd is None:
            self._open(deadline)
        while time.monotonic() < deadline:
            try:
                self._step()
            except w.Closed:
                self._close()
                self.reopens += 1
                self._open(deadline + 5)

    def close(self):
        self._close()
