"""gcmon's command line as a new user meets it: usage errors are one line
with one prefix, durations follow one rule in gcmon and gcmond, targets
are accepted by name (the config file), address or device path with a
documented precedence, the help says what each option takes, the shell
completion scripts load in bash, and dashboards.md's install steps make
the token file the systemd unit needs.

    GCMON=<gcmon> GCMOND=<gcmond> GCMON_PYTHON test_gcmon_usage.py
"""
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

import clitest as t

ROOT = os.path.dirname(os.path.dirname(t.HERE))


class UsageErrors(unittest.TestCase):
    def test_every_usage_error_is_one_line_with_the_commands_prefix(self):
        for args, prefix in ((["threshold", "-1"], "gcmon threshold: "),
                             (["stat", "--bogus"], "gcmon stat: "),
                             (["stat", "-x"], "gcmon stat: "),
                             (["--bogus", "stat"], "gcmon: "),
                             (["-x", "stat"], "gcmon: "),
                             (["stat", "--timeout"], "gcmon stat: "),
                             (["history", "--since", "x"], "gcmon history: "),
                             (["threshold", "12Q"], "gcmon threshold: "),
                             (["record"], "gcmon record: "),
                             (["frobnicate"], "gcmon: "),
                             (["stat", "extra"], "gcmon stat: "),
                             (["watch", "--interval", "soon"], "gcmon watch: "),
                             ([], "gcmon: ")):
            p = t.run(*args)
            self.assertEqual(2, p.returncode, args)
            self.assertEqual("", p.stdout, args)
            lines = p.stderr.splitlines()
            self.assertEqual(1, len(lines), (args, p.stderr))
            self.assertTrue(lines[0].startswith(prefix), (args, lines))
            self.assertIn("--help)", lines[0], args)
            self.assertNotIn("invalid option --", lines[0])  # getopt's own
            self.assertNotIn(t.GCMON, lines[0])  # not argv[0]

    def test_a_negative_threshold_suggests_threshold_off(self):
        p = t.run("threshold", "-1")
        self.assertIn("gcmon threshold off", p.stderr)

    def test_help_says_the_token_variable_holds_the_token(self):
        out = t.run("--help", check=0).stdout
        line = [ln for ln in out.splitlines() if "--token-file" in ln][0]
        self.assertNotIn("[$GCMON_TOKEN]", line)
        self.assertRegex(out, r"\$GCMON_TOKEN, the token itself")


class Durations(unittest.TestCase):
    """A bare number is milliseconds; ms, s and m are accepted everywhere."""

    def test_gcmond_takes_the_same_durations_as_gcmon(self):
        for value, ms in (("1s", 1000), ("0.5s", 500), ("250ms", 250),
                          ("250", 250)):
            d = t.wire().Daemon(t.GCMOND, "--source", "sim", "--interval",
                                value, prefix=t.PREFIX, listen="127.0.0.1:0")
            try:
                got = t.run_json("info", target=f"tcp://127.0.0.1:{d.port}")
            finally:
                d.stop()
            self.assertEqual(ms, got["min_interval_ms"], value)
        for bad in ("5ms", "1h", "soon"):
            p = subprocess.run(t.PREFIX + [t.GCMOND, "--interval", bad],
                               capture_output=True, text=True, timeout=10)
            self.assertEqual(2, p.returncode, bad)
            self.assertIn("--interval", p.stderr)

    def test_gcmon_reads_a_bare_number_as_ms_for_every_duration_flag(self):
        # 300 ms of --timeout against a silent peer: it gives up at once
        import socket
        import time
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        try:
            for flag in ("300", "300ms", "0.3s"):
                start = time.monotonic()
                p = t.run("--timeout", flag, "stat",
                          target=f"tcp://127.0.0.1:{srv.getsockname()[1]}")
                self.assertLess(time.monotonic() - start, 3, flag)
                self.assertIn("300 ms", p.stderr, flag)
        finally:
            srv.close()
        for flag in ("--idle-expiry", "--interval"):
            for value in ("300", "300ms", "2s", "5m"):
                p = t.run("export", "--listen", "nowhere", flag, value)
                self.assertNotIn(flag, p.stderr, (flag, value))
            p = t.run("export", flag, "5x")
            self.assertEqual(2, p.returncode)
            self.assertIn("a number of ms, or 500ms, 2.5s, 1m", p.stderr)


class Targets(unittest.TestCase):
    """-t, then $GCMON_TARGET, then the config's default, then localhost;
    each a board name, HOST[:PORT], /dev/... or a URI."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = t.Daemon()
        cls.other = t.Daemon()
        cls.run_ids = {cls.daemon.run_id(): "main", cls.other.run_id(): "other"}

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.other.stop()

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.xdg = os.path.join(self.dir.name, "xdg")
        os.makedirs(os.path.join(self.xdg, "gcmon"))
        self.config = os.path.join(self.xdg, "gcmon", "config")

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def which(self, *args, env=None, unset_target=True):
        """Which daemon gcmon reached ("main" or "other")."""
        e = {"XDG_CONFIG_HOME": self.xdg}
        e.update(env or {})
        full = dict(os.environ)
        if unset_target:
            full.pop("GCMON_TARGET", None)
        full.update(e)
        full.pop("GCMON_TOKEN", None)
        p = subprocess.run(t.PREFIX + [t.GCMON] + list(args) +
                           ["info", "--json"], capture_output=True, text=True,
                           env=full, timeout=20)
        self.assertEqual(0, p.returncode, p.stderr)
        import json
        return self.run_ids[int(json.loads(p.stdout)["run_id"], 16)]

    def test_a_board_named_in_the_config_file(self):
        self.write_config(f"# boards\n[lab-3]\ntarget = tcp://127.0.0.1:"
                          f"{self.other.port}\n\n[bench]\n  target = "
                          f"127.0.0.1:{self.daemon.port}  \n")
        self.assertEqual("other", self.which("-t", "lab-3"))
        self.assertEqual("main", self.which("-t", "bench"))

    def test_bare_host_port_is_tcp(self):
        self.assertEqual("other",
                         self.which("-t", f"127.0.0.1:{self.other.port}"))

    def test_precedence_flag_then_environment_then_default(self):
        self.write_config(f"default = lab-3\n[lab-3]\ntarget = 127.0.0.1:"
                          f"{self.other.port}\n")
        main = f"127.0.0.1:{self.daemon.port}"
        self.assertEqual("other", self.which())  # the config's default
        self.assertEqual("main", self.which(env={"GCMON_TARGET": main}))
        self.assertEqual("main", self.which("-t", main,
                                            env={"GCMON_TARGET": "lab-3"}))
        self.assertEqual("other", self.which("-t", "lab-3",
                                             env={"GCMON_TARGET": main}))

    def test_home_dot_config_without_xdg(self):
        home = os.path.join(self.dir.name, "home")
        os.makedirs(os.path.join(home, ".config", "gcmon"))
        with open(os.path.join(home, ".config", "gcmon", "config"), "w") as f:
            f.write(f"[b]\ntarget = 127.0.0.1:{self.other.port}\n")
        self.assertEqual("other", self.which("-t", "b", env={
            "HOME": home, "XDG_CONFIG_HOME": ""}))

    def test_a_device_path_is_a_serial_target(self):
        pty = t.PtyPair()
        d = t.Daemon(uart=pty.a)
        try:
            got = t.run_json("info", target=pty.b)
            self.assertEqual(f"{d.run_id():016x}", got["run_id"])
            got = t.run_json("info", target=f"{pty.b}?baud=115200")
            self.assertEqual(f"{d.run_id():016x}", got["run_id"])
        finally:
            d.stop()
            pty.close()

    def test_a_bad_config_file_names_file_and_line(self):
        self.write_config("[lab]\ntarget = 127.0.0.1\ncolour = red\n")
        p = t.run("-t", "lab", "stat", env={"XDG_CONFIG_HOME": self.xdg})
        self.assertEqual(2, p.returncode)
        self.assertEqual(1, len(p.stderr.splitlines()))
        self.assertIn(f"{self.config}:3: unknown key 'colour'", p.stderr)

    def test_a_boards_token_file_is_used_for_control(self):
        tok = os.path.join(self.dir.name, "tok")
        with open(tok, "w") as f:
            f.write("nope\n")
        self.write_config(f"[lab]\ntarget = 127.0.0.1:{self.other.port}\n"
                          f"token-file = ~/tok\n")
        # loopback needs no token, but a given one is checked at hello:
        # the daemon's note says it was not accepted
        env = {"XDG_CONFIG_HOME": self.xdg, "HOME": self.dir.name}
        p = t.run("-t", "lab", "info", env=env)
        self.assertEqual(0, p.returncode, p.stderr)
        os.remove(tok)
        p = t.run("-t", "lab", "info", env=env)
        self.assertEqual(1, p.returncode)
        self.assertIn(tok, p.stderr)  # the board's file was read
        self.assertIn(f"token-file of board 'lab' ({self.config})", p.stderr)


class Completion(unittest.TestCase):
    def test_bash_loads_the_completion_and_completes_commands_and_boards(self):
        if not shutil.which("bash"):
            self.skipTest("bash is not installed")
        script = os.path.join(ROOT, "completions", "gcmon.bash")
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "gcmon"))
            with open(os.path.join(d, "gcmon", "config"), "w") as f:
                f.write("[lab-3]\ntarget = 10.0.0.3\n[bench]\ntarget = "
                        "/dev/ttyACM0\n")
            words = {
                "gcmon ": "info stat watch",
                "gcmon -t ": "lab-3 bench",
                "gcmon watch --": "--interval --wide --json",
                "gcmon threshold ": "off",
            }
            checks = "".join(
                f'COMP_WORDS=({line}""); COMP_CWORD='
                f'{len(line.split()) - (0 if line.endswith(" ") else 1)}; '
                f'COMPREPLY=(); _gcmon; echo "{line}=${{COMPREPLY[*]}}"; '
                for line in words)
            p = subprocess.run(
                ["bash", "--norc", "--noprofile", "-c",
                 f"source {script} && complete -p gcmon && {checks}"],
                capture_output=True, text=True, timeout=20,
                env=dict(os.environ, XDG_CONFIG_HOME=d))
        self.assertEqual(0, p.returncode, p.stderr)
        self.assertIn("complete -F _gcmon gcmon", p.stdout)
        got = dict(ln.split("=", 1) for ln in p.stdout.splitlines()[1:])
        for line, want in words.items():
            for w in want.split():
                self.assertIn(w, got[line].split(), line)

    def test_zsh_completion_declares_gcmon(self):
        with open(os.path.join(ROOT, "completions", "_gcmon")) as f:
            text = f.read()
        self.assertTrue(text.startswith("#compdef gcmon"))
        for cmd in ("info", "stat", "watch", "record", "export"):
            self.assertIn(cmd, text)


class DashboardsDoc(unittest.TestCase):
    def test_the_systemd_install_makes_the_token_file_the_unit_loads(self):
        with open(os.path.join(ROOT, "docs", "dashboards.md")) as f:
            doc = f.read()
        with open(os.path.join(ROOT, "docs", "dashboards", "gcmond.service")) as f:
            unit = f.read()
        source = re.search(r"^LoadCredential=\w+:(\S+)$", unit, re.M).group(1)
        block = doc.split("## Running them as services", 1)[1]
        steps = [ln.strip() for ln in block.splitlines()
                 if ln.startswith("    sudo") or ln.startswith("    head")]
        self.assertTrue(any(source in s for s in steps), steps)
        # Run the steps in a scratch root (sudo dropped, systemctl skipped)
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "usr/local/bin"))
            os.makedirs(os.path.join(root, "etc/systemd/system"))
            os.makedirs(os.path.join(root, "build/daemon"))
            shutil.copy(t.GCMOND, os.path.join(root, "build/daemon/gcmond"))
            os.makedirs(os.path.join(root, "docs/dashboards"))
            shutil.copy(os.path.join(ROOT, "docs/dashboards/gcmond.service"),
                        os.path.join(root, "docs/dashboards"))
            for s in steps:
                if "systemctl" in s:
                    continue
                s = s.replace("sudo ", "").replace(" /etc/", f" {root}/etc/")
                s = s.replace(" /usr/local/", f" {root}/usr/local/")
                subprocess.run(["sh", "-c", s], cwd=root, check=True)
            token = root + source
            mode = stat.S_IMODE(os.stat(token).st_mode)
            self.assertEqual(0o600, mode)
            with open(token) as f:
                self.assertGreaterEqual(len(f.read().strip()), 16)
            # gcmond accepts it as its --token-file
            d = t.wire().Daemon(t.GCMOND, "--source", "sim", "--token-file",
                                token, prefix=t.PREFIX, listen="127.0.0.1:0")
            self.assertEqual(0, d.stop())


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main(verbosity=2)
