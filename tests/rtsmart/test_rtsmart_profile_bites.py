"""The RT-Smart profile is not a no-op: the linux configuration's gcmond
(stock libuv: epoll, eventfd, ioctl(FIONBIO), accept4) cannot serve under
it, while an ordinary program the profile's host extras cover runs fine."""
import os
import subprocess
import sys
import unittest

PROFILE = [os.environ["RTSMART_PROFILE"], os.environ["RTSMART_SYSCALLS"],
           os.environ["RTSMART_EXTRAS"]]


class ProfileBites(unittest.TestCase):
    def test_plain_program_runs(self):
        p = subprocess.run(PROFILE + ["/bin/echo", "ok"], capture_output=True,
                           text=True, timeout=20)
        self.assertEqual((0, "ok\n"), (p.returncode, p.stdout), p.stderr)

    def test_linux_gcmond_cannot_serve(self):
        p = subprocess.Popen(PROFILE + [os.environ["GCMOND"], "--listen",
                                        "127.0.0.1:0"],
                             stderr=subprocess.PIPE, text=True)
        try:
            _, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            self.fail("linux gcmond kept running under the profile: " + err)
        self.assertNotEqual(0, p.returncode, err)
        self.assertNotIn("sampling every", err)


if __name__ == "__main__":
    sys.exit(unittest.main())
