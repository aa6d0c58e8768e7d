"""A serial cable that misbehaves on purpose, for tests.

Two pseudo-terminals joined by a relay thread:

    gcmond --uart <link.board_path>  <==pty==>  relay  <==pty==>  <link.host_path>
                                              (faults)            a client

The host side is reached through a symlink (link.host_path) so that a
"hangup" cut can unplug it and plug a fresh pty back at the same path, as a
USB serial adapter does. The relay paces each direction at the configured
baud rate (10 bits per byte, 8N1) and only reads from a side while it has
little queued for the other, so a fast sender is held back by the pty
exactly as by a real UART.

Faults, each drawn independently per direction from a seeded generator:

    ber        bit error rate: each bit flipped with this probability
    drop       each byte lost with this probability
    dup        each byte sent twice with this probability
    console    per byte, the probability that a line of console text is
               inserted before it (some lines contain '~', which is 0x7E,
               the frame flag)
    cut(...)   once the daemon side is in the middle of a frame, nothing
               passes either way for a while: "silent" (the cable is
               pulled; neither end notices) or "hangup" (the host's pty is
               closed, and a new one appears at host_path afterwards;
               what the board sends before the host has reopened it and
               spoken is lost, as after a real replug)

The relay also parses the clean stream before damaging it (gcmond opens and
closes every frame with its own flag), so it knows every frame that was
sent and whether any fault touched it (its body, its flags, or a cut). A
test can then check that a receiver accepted only frames that were sent and
every frame that arrived undamaged.
"""
import errno
import fcntl
import math
import os
import random
import select
import struct
import tempfile
import termios
import threading
import time
import tty

FLAG = 0x7E
CONSOLE_LINES = [
    b"[   42.001337] rtsmart: msh />\r\n",
    b"\x1b[32mI (1234) camera: sensor ready\x1b[0m\r\n",
    b"cd ~/app && ./run.sh\r\n",          # a '~' is a frame flag
    b"MicroPython v1.2 on 2024-01-01; k230 with C908\r\n",
    b"~~~ watchdog fed ~~~\n",
]


class Faults:
    def __init__(self, ber=0.0, drop=0.0, dup=0.0, console=0.0):
        self.ber, self.drop, self.dup, self.console = ber, drop, dup, console

    def describe(self):
        parts = []
        for name in ("ber", "drop", "dup", "console"):
            v = getattr(self, name)
            if v:
                parts.append(f"{name} {v:g}")
        return ", ".join(parts) or "none"


class _Gap:
    """Distance to the next event of probability p per trial (geometric)."""

    def __init__(self, rng, p):
        self.rng, self.p = rng, p
        self.left = self._draw()

    def _draw(self):
        if self.p <= 0:
            return float("inf")
        u = 1.0 - self.rng.random()
        return int(math.log(u) / math.log1p(-self.p)) if self.p < 1 else 0

    def hits(self, trials):
        """Offsets (0..trials-1) of the events in the next `trials`."""
        out = []
        pos = 0
        while self.left < trials - pos:
            pos += self.left
            out.append(pos)
            pos += 1
            self.left = self._draw()
        self.left -= trials - pos
        return out


class FrameLedger:
    """Frames of one direction's clean stream, and which were damaged."""

    def __init__(self):
        self.frames = []  # [payload bytes (unescaped, no CRC), damaged]
        self._raw = None  # escaped body of the frame being sent, or None
        self._damaged = False

    def in_frame(self):
        """Between a frame's flags, a few bytes into it."""
        return self._raw is not None and len(self._raw) >= 3

    def opened(self):
        return self._raw is not None

    def byte(self, b, damaged, end_pos):
        """Account one clean byte; damaged: a fault touched it. end_pos:
        the line position after the bytes queued for it."""
        if b == FLAG:
            if self._raw is None:          # opening flag
                self._raw = bytearray()
                self._damaged = damaged
            else:                          # closing flag
                self.frames.append([_unescape(self._raw)[:-4],
                                    self._damaged or damaged, end_pos])
                self._raw = None
        else:
            if self._raw is None:          # bytes outside frames: none
                return                     # from gcmond, but be safe
            self._raw.append(b)
            self._damaged = self._damaged or damaged

    def damage_current(self):
        if self._raw is not None:
            self._damaged = True

    def damage_unsent(self, flushed):
        """Frames whose bytes were still queued when the line went dead."""
        self.damage_current()
        for f in reversed(self.frames):
            if f[2] <= flushed:
                break
            f[1] = True


def _unescape(raw):
    out = bytearray()
    esc = False
    for b in raw:
        if esc:
            out.append(b ^ 0x20)
            esc = False
        elif b == 0x7D:
            esc = True
        else:
            out.append(b)
    return bytes(out)


class _Direction:
    def __init__(self, name, faults, rng, rate):
        self.name, self.faults, self.rate = name, faults, rate
        self.flip = _Gap(rng, faults.ber)
        self.drop = _Gap(rng, faults.drop)
        self.dup = _Gap(rng, faults.dup)
        self.console = _Gap(rng, faults.console)
        self.rng = rng
        self.queue = bytearray()
        self.flushed = 0  # line position: bytes written or discarded
        self.ledger = FrameLedger()
        self.credit = 0.0
        self.last = time.monotonic()
        self.stats = dict(bytes_in=0, bytes_out=0, bits_flipped=0,
                          bytes_dropped=0, bytes_duplicated=0,
                          console_lines=0, bytes_cut=0)

    def damage(self, data, cutting):
        """Apply this direction's faults to clean bytes; queue the result."""
        st = self.stats
        st["bytes_in"] += len(data)
        n = len(data)
        flips = {}
        for bit in self.flip.hits(8 * n):
            flips.setdefault(bit // 8, 0)
            flips[bit // 8] ^= 1 << (bit % 8)
        drops = set(self.drop.hits(n))
        dups = set(self.dup.hits(n))
        consoles = set(self.console.hits(n))
        out = self.queue
        for i, b in enumerate(data):
            pos = self.flushed + len(out)
            if cutting:
                st["bytes_cut"] += 1
                self.ledger.byte(b, True, pos)
                continue
            touched = False
            if i in consoles:
                line = self.rng.choice(CONSOLE_LINES)
                out += line
                st["console_lines"] += 1
                # text inside a frame damages it; between frames it does not
                if self.ledger.opened():
                    self.ledger.damage_current()
            if i in drops:
                st["bytes_dropped"] += 1
                self.ledger.byte(b, True, self.flushed + len(out))
                continue
            v = b ^ flips.get(i, 0)
            if v != b:
                st["bits_flipped"] += bin(v ^ b).count("1")
                touched = True
            out.append(v)
            if i in dups:
                out.append(v)
                st["bytes_duplicated"] += 1
                touched = True
            self.ledger.byte(b, touched, self.flushed + len(out))

    def budget(self, now):
        """Bytes the line may carry now: a token bucket at the baud rate,
        holding at most a few milliseconds of credit."""
        if self.rate <= 0:
            return len(self.queue)
        self.credit = min(64.0, self.credit + (now - self.last) * self.rate)
        self.last = now
        return min(int(self.credit), len(self.queue))

    def flush_lost(self):
        """The line went dead: what was queued never arrives."""
        self.ledger.damage_unsent(self.flushed)
        self.flushed += len(self.queue)
        self.queue.clear()


class FaultyLink:
    """See the module docstring. Use as a context manager or start/stop."""

    def __init__(self, down=None, up=None, baud=115200, seed=1):
        self.tmp = tempfile.TemporaryDirectory(prefix="gcmon-link-")
        rng = random.Random(seed)
        rate = baud / 10.0 if baud else 0
        self.down = _Direction("down", down or Faults(), rng, rate)
        self.up = _Direction("up", up or Faults(), rng, rate)
        self.board_master, board_slave = os.openpty()
        tty.setraw(board_slave)
        self._board_slave = board_slave  # held: no EIO while gcmond reopens
        self.board_path = os.ttyname(board_slave)
        self.host_path = os.path.join(self.tmp.name, "ttyHOST")
        self.host_master = None
        self._host_slave = None
        self._plug_host()
        self._lock = threading.Lock()
        self._cut_request = None  # (seconds, mode)
        self._cut_until = 0.0
        self._cut_mode = None
        self._host_listening = True
        self.cuts = []            # (start monotonic, seconds, mode)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    # ---- host side plug/unplug -------------------------------------------
    def _plug_host(self):
        m, s = os.openpty()
        tty.setraw(s)
        os.set_blocking(m, False)
        tmp = self.host_path + ".new"
        os.symlink(os.ttyname(s), tmp)
        os.replace(tmp, self.host_path)
        self.host_master, self._host_slave = m, s

    def _unplug_host(self):
        try:
            os.unlink(self.host_path)
        except FileNotFoundError:
            pass
        os.close(self.host_master)
        os.close(self._host_slave)
        self.host_master = self._host_slave = None

    # ---- control -----------------------------------------------------------
    def start(self):
        os.set_blocking(self.board_master, False)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        if self.host_master is not None:
            self._unplug_host()
        os.close(self.board_master)
        os.close(self._board_slave)
        self.tmp.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def cut(self, seconds, mode="silent"):
        """Cut the link for `seconds` once the board is mid-frame."""
        with self._lock:
            self._cut_request = (seconds, mode)

    def cutting(self):
        with self._lock:
            return self._cut_request is not None or self._cut_mode is not None

    def set_faults(self, down=None, up=None):
        """Change the faults (e.g. a clean link for the final checks)."""
        with self._lock:
            for d, f in ((self.down, down), (self.up, up)):
                if f is None:
                    continue
                d.faults = f
                d.flip = _Gap(d.rng, f.ber)
                d.drop = _Gap(d.rng, f.drop)
                d.dup = _Gap(d.rng, f.dup)
                d.console = _Gap(d.rng, f.console)

    # ---- the relay thread --------------------------------------------------
    def _maybe_start_cut(self, now):
        if self._cut_request and self.down.ledger.in_frame():
            seconds, mode = self._cut_request
            self._cut_request = None
            self._cut_mode = mode
            self._cut_until = now + seconds
            self.cuts.append((now, seconds, mode))
            if mode == "hangup":
                # What the client had not read yet dies with the pty. Bytes
                # just written may still be on their way from the master to
                # the slave's queue: give them a moment to land there.
                time.sleep(0.03)
                unread = struct.unpack("i", fcntl.ioctl(
                    self._host_slave, termios.FIONREAD, b"\0" * 4))[0]
                self.down.ledger.damage_unsent(self.down.flushed - unread)
            self.down.flush_lost()
            self.up.flush_lost()
            if mode == "hangup":
                self._unplug_host()

    def _maybe_end_cut(self, now):
        if self._cut_mode and now >= self._cut_until:
            if self._cut_mode == "hangup":
                self._plug_host()
                # Until the host opens the new port (and says something),
                # what the board sends is lost, as on a real replug: a
                # client flushes stale input when it opens a serial port.
                self._host_listening = False
            self._cut_mode = None

    def _read(self, fd, direction, now):
        try:
            data = os.read(fd, 256)
        except BlockingIOError:
            return
        except OSError as e:
            if e.errno == errno.EIO:  # nobody has the slave open
                return
            raise
        with self._lock:
            if direction is self.up:
                self._host_listening = True
            self._maybe_start_cut(now)
            lost = self._cut_mode is not None or (
                direction is self.down and not self._host_listening)
            if self._cut_request:
                # one byte at a time, so the cut lands mid-frame
                for i in range(len(data)):
                    direction.damage(data[i:i + 1], self._cut_mode is not None)
                    self._maybe_start_cut(now)
            else:
                direction.damage(data, lost)

    def _write(self, fd, direction, n):
        try:
            w = os.write(fd, bytes(direction.queue[:n]))
        except BlockingIOError:
            return
        except OSError as e:
            if e.errno == errno.EIO:
                direction.flush_lost()
                return
            raise
        del direction.queue[:w]
        direction.flushed += w
        direction.credit -= w
        direction.stats["bytes_out"] += w

    def _run(self):
        while not self._stop.is_set():
            now = time.monotonic()
            with self._lock:
                self._maybe_end_cut(now)
            host = self.host_master
            rd, wr, timeout = [], [], 0.005
            if len(self.down.queue) < 512:
                rd.append(self.board_master)
            if host is not None and len(self.up.queue) < 512:
                rd.append(host)
            down_n = self.down.budget(now) if host is not None else 0
            up_n = self.up.budget(now)
            if down_n:
                wr.append(host)
            if up_n:
                wr.append(self.board_master)
            if (self.down.queue and not down_n) or (self.up.queue and not up_n):
                timeout = 0.001  # waiting for line time
            try:
                r, w, _ = select.select(rd, wr, [], timeout)
            except (OSError, ValueError):
                continue  # the host fd was closed by a hangup meanwhile
            now = time.monotonic()
            if self.board_master in r:
                self._read(self.board_master, self.down, now)
            if host is not None and host in r and host == self.host_master:
                self._read(host, self.up, now)
            if host in w and host == self.host_master:
                self._write(host, self.down, down_n)
            if self.board_master in w:
                self._write(self.board_master, self.up, up_n)
