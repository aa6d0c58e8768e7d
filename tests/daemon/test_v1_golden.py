"""A v1 client gets v1 bytes: the recorded v1 session, replayed today.

tests/daemon/golden/v1_session.bin is what the agent sent to a client whose
hello carried no 1.1 field, recorded from the v1 code before protocol 1.1
(v1_session.c says how). This test runs the same script on today's agent and
requires the same frames, then decodes every frame with a decoder that
protoc generates here from the v1 schema (golden/gcmon_v1.proto, the schema
as it was), field by field: every Packet must parse and print the same as
the recording's text (golden/v1_session.txt). A frame may differ from the
recording only by fields v1 does not know (new optional fields, such as
MemInfo.peak_used from a source that reports it), which v1 decoders skip:
without them it must be the recorded bytes.

Usage: test_v1_golden.py --session BIN --protoc PROTOC [--record]
"""
import argparse
import importlib
import os
import subprocess
import sys
import struct
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")


def v1_module(protoc, tmp):
    subprocess.run([protoc, f"--proto_path={GOLDEN}", f"--python_out={tmp}",
                    "gcmon_v1.proto"], check=True)
    sys.path.insert(0, tmp)
    return importlib.import_module("gcmon_v1_pb2")


def frames(data):
    """Payloads of the valid frames in data (the v1 framing: 0x7E flags,
    0x7D escapes, CRC-32 little-endian). Written here rather than imported
    so that only the v1 schema is loaded into this process."""
    out, body, esc = [], bytearray(), False
    for b in data:
        if b == 0x7E:
            if len(body) >= 5 and not esc:
                payload, crc = bytes(body[:-4]), bytes(body[-4:])
                if struct.pack("<I", zlib.crc32(payload)) == crc:
                    out.append(payload)
            body, esc = bytearray(), False
        elif b == 0x7D:
            esc = True
        else:
            body.append(b ^ 0x20 if esc else b)
            esc = False
    return out


def dump(pb_mod, data):
    from google.protobuf import text_format
    lines = []
    for i, payload in enumerate(frames(data)):
        pkt = pb_mod.Packet()
        pkt.ParseFromString(payload)
        text = text_format.MessageToString(pkt, as_one_line=True)
        lines.append(f"{i}: {text}")
    return "\n".join(lines) + "\n"


def compare_frames(pb_mod, got, want):
    """Frames must be identical, or differ only by fields v1 does not know
    (new optional fields, which v1 decoders skip). Returns how many frames
    carried such fields."""
    got_f, want_f = frames(got), frames(want)
    assert len(got_f) == len(want_f), \
        f"{len(got_f)} frames, the recording has {len(want_f)}"
    extended = 0
    for i, (g, w) in enumerate(zip(got_f, want_f)):
        if g == w:
            continue
        pkt = pb_mod.Packet()
        pkt.ParseFromString(g)
        pkt.DiscardUnknownFields()
        if pkt.SerializeToString() != w:
            raise AssertionError(f"frame {i} differs from the v1 recording:\n"
                                 f" want {w.hex()}\n  got {g.hex()}")
        extended += 1
    return extended


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--session", required=True)
    ap.add_argument("--protoc", required=True)
    ap.add_argument("--record", action="store_true",
                    help="write golden/v1_session.txt (from v1 code only)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "session.bin")
        subprocess.run(os.environ.get("GCMON_EXEC_PREFIX", "").split() +
                       [a.session, out], check=True)
        with open(out, "rb") as f:
            got = f.read()
        with open(os.path.join(GOLDEN, "v1_session.bin"), "rb") as f:
            want = f.read()
        pb_mod = v1_module(a.protoc, tmp)
        text = dump(pb_mod, got)
        txt_path = os.path.join(GOLDEN, "v1_session.txt")
        if a.record:
            with open(txt_path, "w") as f:
                f.write(text)
        with open(txt_path) as f:
            want_text = f.read()
        want_lines, got_lines = want_text.splitlines(), text.splitlines()
        for w, g in zip(want_lines, got_lines):
            if w != g:
                raise AssertionError(f"decoded differently:\n want {w}\n  got {g}")
        assert len(want_lines) == len(got_lines), \
            f"{len(got_lines)} frames, the recording has {len(want_lines)}"
        extended = compare_frames(pb_mod, got, want)
        if extended == 0:
            assert got == want, "same frames, different bytes between them"
        print(f"v1 session: {len(got)} bytes, {len(got_lines)} frames, "
              f"identical to the v1 recording but for {extended} frames "
              "with new optional fields only")


if __name__ == "__main__":
    main()
