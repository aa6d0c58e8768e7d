"""A decoder for the compact sample stream, written from docs/protocol.md
("Compact sample stream") alone, for tests: it shares nothing with
proto/gcmon_compact.c, so agreement between the two is evidence.

decode(state, first_seq, count, data) -> list of gcmon_pb2.Sample, or raises
KeyframeMissing / ValueError. `state` is a dict the caller keeps per stream.
"""
import gcmon_pb2 as pb

MASK = (1 << 64) - 1
ONES = MASK

# (bit, pool, attribute, kind, prediction, partner bit, total bit)
# kind: raw | flag | size | ssize; pool: None, "gc", "sys_heap", ...
FIELDS = [
    (0, None, "uptime_us", "raw", "uptime", None, None),
    (1, "gc", "mem_alloc", "ssize", "same", None, None),
    (2, "gc", "largest_free", "ssize", "same", None, None),
    (3, "gc", "mem_free", "ssize", "gc_free", 1, None),
    (4, "sys_page", "used", "size", "same", None, None),
    (5, "sys_heap", "used", "size", "same", None, None),
    (6, "sys_mmz", "used", "size", "same", None, None),
    (7, "gc", "collections", "raw", "same", None, None),
    (8, "sys_heap", "free", "size", "mem_free", 5, 16),
    (9, "sys_page", "free", "size", "mem_free", 4, 17),
    (10, "sys_mmz", "free", "size", "mem_free", 6, 18),
    (11, "gc", "enabled", "flag", "same", None, None),
    (12, "gc", "threshold", "ssize", "same", None, None),
    (13, "sys_heap", "peak_used", "size", "peak", 5, None),
    (14, "sys_page", "peak_used", "size", "peak", 4, None),
    (15, "sys_mmz", "peak_used", "size", "peak", 6, None),
    (16, "sys_heap", "total", "size", "same", None, None),
    (17, "sys_page", "total", "size", "same", None, None),
    (18, "sys_mmz", "total", "size", "same", None, None),
    (19, None, "sys_total", "raw", "same", None, None),
]
POOLS = ["gc", "sys_heap", "sys_page", "sys_mmz"]


class KeyframeMissing(Exception):
    """The batch refers to a keyframe this stream does not hold."""


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def varint(self):
        v, shift = 0, 0
        while True:
            if self.pos >= len(self.data) or shift > 63:
                raise ValueError("truncated varint")
            b = self.data[self.pos]
            self.pos += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                if v > MASK:
                    raise ValueError("varint over 64 bits")
                return v
            shift += 7


def unzigzag(z):
    return ((z >> 1) ^ -(z & 1)) & MASK


def present(field, presence):
    pool = field[1]
    return pool is None or presence & (1 << POOLS.index(pool))


def predict(f, ref, ref_seq, now, seq, key):
    bit, _, _, _, how, partner, total = f
    if how == "uptime":
        return (ref[bit] + (seq - ref_seq) * key["period"]) & MASK
    if how == "gc_free":
        if ref[bit] == ONES:
            return ONES
        return (ref[bit] - (now[partner] - ref[partner])) & MASK
    if how == "mem_free":
        return (ref[bit] + (now[total] - ref[total])
                - (now[partner] - ref[partner])) & MASK
    if how == "peak":
        return 0 if ref[bit] == 0 else max(ref[bit], now[partner])
    return ref[bit]


def to_sample(t, key, seq):
    s = pb.Sample(seq=seq)
    for pool_index, pool in enumerate(POOLS):
        if key["presence"] & (1 << pool_index):
            getattr(s, pool).SetInParent()
    for f in FIELDS:
        bit, pool, attr, kind, *_ = f
        if not present(f, key["presence"]):
            continue
        v = t[bit]
        if kind in ("size", "ssize"):
            unit = key["units"][pool]
            if not (kind == "ssize" and v == ONES):
                v = (v << unit) & MASK
        if kind == "ssize" and v >= 1 << 63:
            v -= 1 << 64
        if kind == "flag":
            v = bool(v)
        setattr(getattr(s, pool) if pool else s, attr, v)
    return s


def decode(state, first_seq, count, data):
    r = _Reader(data)
    back = r.varint()
    out = []
    seq = first_seq
    key = state.get("key")
    ref, ref_seq = state.get("key_t"), state.get("key_seq")
    pending_key = None
    for n in range(count):
        if n == 0 and back == 0:
            presence = r.varint()
            if presence > 15:
                raise ValueError("presence")
            stride, period = r.varint(), r.varint()
            if stride == 0:
                raise ValueError("stride 0")
            units = {}
            for i, pool in enumerate(POOLS):
                if presence & (1 << i):
                    units[pool] = r.varint()
                    if units[pool] > 63:
                        raise ValueError("unit")
            key = {"presence": presence, "stride": stride, "period": period,
                   "units": units}
            now = [0] * 20
            for f in FIELDS:
                if present(f, presence):
                    v = r.varint()
                    now[f[0]] = unzigzag(v) if f[3] == "ssize" else v
            pending_key = (key, list(now), seq)
        else:
            if n == 0:
                if key is None or first_seq - back != ref_seq:
                    raise KeyframeMissing(first_seq)
            bitmap = r.varint()
            if bitmap >> 20:
                raise ValueError("bitmap")
            resid = [0] * 20
            for f in FIELDS:
                if bitmap & (1 << f[0]):
                    if not present(f, key["presence"]):
                        raise ValueError("absent field in bitmap")
                    resid[f[0]] = unzigzag(r.varint())
            now = [0] * 20
            order = [f for f in FIELDS if f[4] in ("same", "uptime")] + \
                    [f for f in FIELDS if f[4] not in ("same", "uptime")]
            for f in order:
                now[f[0]] = (predict(f, ref, ref_seq, now, seq, key)
                             + resid[f[0]]) & MASK
        out.append(to_sample(now, key, seq))
        ref, ref_seq = now, seq
        seq += key["stride"]
    if r.pos != len(data):
        raise ValueError("trailing bytes")
    if pending_key:
        state["key"], state["key_t"], state["key_seq"] = pending_key
    return out
