"""The rtsmart configuration names no function RT-Smart lacks: `nm -u` over
gcmond's own objects, the libraries it and the MicroPython module link
(GCMON_OBJECTS) and the poll-only libuv (GCMON_LIBUV) finds none of the
names below '# ABSENT' in syscalls.txt, no termios call, and no signal
handler set-up of gcmond's own. (The static gcmond as a whole also holds the
C library's internals, which on the board are RT-Smart's musl.)"""
import os
import subprocess
import sys
import unittest

TERMIOS = {"tcgetattr", "tcsetattr", "cfmakeraw", "cfsetispeed",
           "cfsetospeed", "cfsetspeed", "tcflush", "tcdrain", "isatty"}
# Names libc spells differently from the system call.
LIBC_ALIASES = {"epoll_create1", "eventfd", "signalfd", "timerfd_create",
                "inotify_init1", "accept4", "pipe2", "dup3", "readv",
                "writev", "preadv", "pwritev", "pread", "pwrite",
                "sendfile", "socketpair", "ftruncate", "lstat", "fstatfs",
                "getppid", "getuid", "geteuid", "getgid", "getegid",
                "setuid", "setgid", "uname", "sysinfo", "getrusage",
                "mprotect", "prctl", "sigaltstack", "pause", "alarm",
                "setitimer", "getitimer", "chmod", "fchmod", "chown",
                "fchown", "symlink", "link", "umask", "mkfifo"}


def absent_names():
    names, below = set(), False
    with open(os.environ["RTSMART_SYSCALLS"]) as f:
        for line in f:
            line = line.strip()
            if line.startswith("# ABSENT"):
                below = True
            elif below and line and not line.startswith("#"):
                names.add(line)
    return names


def undefined(paths):
    out = subprocess.run([os.environ["NM"], "-u", *paths], check=True,
                         capture_output=True, text=True).stdout
    names = {}
    current = "?"
    for line in out.splitlines():
        if line.endswith(":"):
            current = line[:-1]
        elif line.split():
            names.setdefault(line.split()[-1].split("@")[0], set()).add(
                os.path.basename(current))
    return names


class RtsmartSymbols(unittest.TestCase):
    def setUp(self):
        self.forbidden = absent_names() | TERMIOS | LIBC_ALIASES
        self.assertIn("epoll_create1", self.forbidden)

    def check(self, paths):
        used = undefined(paths)
        bad = {n: sorted(w) for n, w in used.items() if n in self.forbidden}
        self.assertEqual({}, bad, "functions RT-Smart lacks")
        return used

    def test_gcmon_objects(self):
        used = self.check(os.environ["GCMON_OBJECTS"].split(":"))
        self.assertIn("poll", set(undefined([os.environ["GCMON_LIBUV"]])))
        self.assertNotIn("uv_signal_start", used, "gcmond sets no handler")
        self.assertNotIn("sigaction", used)

    def test_libuv(self):
        used = self.check([os.environ["GCMON_LIBUV"]])
        self.assertIn("poll", used)  # posix-poll.c, not epoll
        self.assertIn("pipe", used)  # uv_async over a pipe
        self.assertNotIn("ioctl", used)  # O_NONBLOCK with fcntl


if __name__ == "__main__":
    sys.exit(unittest.main())
