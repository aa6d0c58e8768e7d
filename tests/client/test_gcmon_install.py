"""libgcmon as a user gets it: `cmake --install` into a fresh prefix, then
a program outside the tree built with `pkg-config --cflags --libs gcmon`
and another with find_package(gcmon) read a sample from a live gcmond.
Also: the shared object exports gcmon_ names and nothing else.

    GCMON=<gcmon> GCMOND=<gcmond> GCMON_BUILD_DIR=<build dir> \
        [GCMON_SANITIZE=address,undefined] GCMON_PYTHON test_gcmon_install.py
"""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

import clitest as t

HERE = os.path.dirname(os.path.abspath(__file__))


def sh(*cmd, env=None, cwd=None):
    p = subprocess.run(list(cmd), capture_output=True, text=True, env=env,
                       cwd=cwd)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: exit {p.returncode}\n"
                             f"{p.stdout}\n{p.stderr}")
    return p.stdout


class Installed(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.build = os.environ["GCMON_BUILD_DIR"]
        cls.sanitize = os.environ.get("GCMON_SANITIZE", "")
        cls.tmp = tempfile.mkdtemp(prefix="gcmon-install-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        sh("cmake", "--install", cls.build, "--prefix", cls.prefix)
        cls.pc = glob.glob(os.path.join(cls.prefix, "**", "gcmon.pc"),
                           recursive=True)
        cls.so = glob.glob(os.path.join(cls.prefix, "**", "libgcmon.so.*.*"),
                           recursive=True)
        cls.daemon = t.Daemon()
        cls.target = f"tcp://127.0.0.1:{cls.daemon.port}"

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def flags(self):
        return [f"-fsanitize={self.sanitize}"] if self.sanitize else []

    def run_consumer(self, exe):
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = os.path.dirname(self.so[0])
        out = sh(exe, self.target, env=env)
        got = dict(line.split("=", 1) for line in out.split())
        c = self.daemon.client()
        self.addCleanup(c.close)
        want = t.get_sample(c)
        self.assertEqual("sim", got["source"])
        self.assertEqual("0", got["seq"])
        self.assertEqual(str(want.sys_total), got["sys_total"])
        self.assertEqual(str(want.sys_heap.total), got["sys_heap.total"])

    def test_install_has_libraries_headers_pc_cmake_package_and_man(self):
        p = self.prefix
        self.assertEqual(1, len(self.pc))
        self.assertEqual(1, len(self.so))
        self.assertTrue(glob.glob(f"{p}/**/libgcmon.a", recursive=True))
        for h in ("client.h", "error.h", "sample.h", "export.h"):
            self.assertTrue(os.path.exists(f"{p}/include/gcmon/{h}"), h)
        self.assertTrue(glob.glob(f"{p}/**/cmake/gcmon/gcmonConfig.cmake",
                                  recursive=True))
        self.assertTrue(os.access(f"{p}/bin/gcmon", os.X_OK))
        for page in ("gcmon.1", "gcmond.1"):
            self.assertTrue(glob.glob(f"{p}/**/man1/{page}", recursive=True))

    def test_install_has_shell_completion_that_bash_loads(self):
        p = self.prefix
        bash = f"{p}/share/bash-completion/completions/gcmon"
        self.assertTrue(os.path.exists(f"{p}/share/zsh/site-functions/_gcmon"))
        out = subprocess.run(["bash", "--norc", "--noprofile", "-c",
                              f"source {bash} && complete -p gcmon"],
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual("complete -F _gcmon gcmon\n", out)

    def test_shared_library_exports_only_the_gcmon_api(self):
        out = sh("nm", "-D", "--defined-only", self.so[0])
        names = [line.split()[-1].split("@")[0] for line in out.splitlines()]
        names = [n for n in names if n != "GCMON_1"]
        self.assertIn("gcmon_client_init", names)
        self.assertIn("gcmon_strerror", names)
        for n in names:
            self.assertTrue(n.startswith("gcmon_") and
                            not n.startswith("gcmon__"), n)
        self.assertNotIn("gcmon_frame_encode", names)  # the core stays inside

    def test_a_program_built_with_pkg_config_reads_a_sample(self):
        env = dict(os.environ)
        env["PKG_CONFIG_PATH"] = os.path.dirname(self.pc[0])
        flags = sh("pkg-config", "--cflags", "--libs", "gcmon",
                   env=env).split()
        incs = [os.path.normpath(f[2:]) for f in flags if f.startswith("-I")]
        self.assertEqual([os.path.join(self.prefix, "include")], incs)
        exe = os.path.join(self.tmp, "pc_reads_a_sample")
        src = os.path.join(self.tmp, "reads_a_sample.c")
        shutil.copy(os.path.join(HERE, "consumer", "reads_a_sample.c"), src)
        sh("cc", "-std=c99", "-Wall", "-Werror", *self.flags(), src, "-o",
           exe, *flags)
        self.run_consumer(exe)

    def test_a_program_built_with_find_package_reads_a_sample(self):
        src = os.path.join(self.tmp, "consumer")
        shutil.copytree(os.path.join(HERE, "consumer"), src)
        bdir = os.path.join(self.tmp, "consumer-build")
        sh("cmake", "-S", src, "-B", bdir, f"-DCMAKE_PREFIX_PATH={self.prefix}",
           f"-DCMAKE_C_FLAGS={' '.join(self.flags())}")
        sh("cmake", "--build", bdir)
        self.run_consumer(os.path.join(bdir, "reads_a_sample"))


if __name__ == "__main__":
    t.setup_from_env()
    unittest.main(verbosity=2)
