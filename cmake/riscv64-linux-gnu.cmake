# CMake toolchain file: cross-compile gcmon for riscv64 Linux (the K230's
# XuanTie C908 big core), with Debian's gcc-riscv64-linux-gnu and
# libc6-dev-riscv64-cross. Tests run under qemu-user.
#
#   cmake -S . -B build-riscv64/gcmon \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/riscv64-linux-gnu.cmake \
#     -DGCMON_RISCV64_PREFIX=$PWD/build-riscv64/prefix
#
# Knobs (cache variables, or environment variables of the same name):
#   GCMON_RISCV64_TOOLCHAIN_PREFIX  compiler prefix, "riscv64-linux-gnu-";
#                                   give a full path for another toolchain,
#                                   e.g. the K230 SDK's (docs/riscv64.md)
#   GCMON_RISCV64_SYSROOT           the target C library's root, for qemu -L
#                                   and the find root path
#                                   (/usr/riscv64-linux-gnu)
#   GCMON_RISCV64_PREFIX            where the target's nanopb and libuv are
#                                   installed (scripts/cross-riscv64.sh builds
#                                   them into build-riscv64/prefix)
#   GCMON_RISCV64_EMULATOR          runs target binaries on this machine
#                                   ("qemu-riscv64;-L;<sysroot>"; empty: none)
#
# Debian's cross gcc has its library paths built in, so CMAKE_SYSROOT stays
# unset here: Debian lays the target libc out as <sysroot>/include and
# <sysroot>/lib, not as a sysroot's <sysroot>/usr/include.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

macro(gcmon_riscv64_knob name default)
  if(NOT DEFINED ${name})
    if(DEFINED ENV{${name}})
      set(${name} "$ENV{${name}}")
    else()
      set(${name} "${default}")
    endif()
  endif()
endmacro()
gcmon_riscv64_knob(GCMON_RISCV64_TOOLCHAIN_PREFIX "riscv64-linux-gnu-")
gcmon_riscv64_knob(GCMON_RISCV64_SYSROOT "/usr/riscv64-linux-gnu")
gcmon_riscv64_knob(GCMON_RISCV64_PREFIX "")
gcmon_riscv64_knob(GCMON_RISCV64_EMULATOR
  "qemu-riscv64;-L;${GCMON_RISCV64_SYSROOT}")
# try_compile() projects re-read this file; hand them the same knobs.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
  GCMON_RISCV64_TOOLCHAIN_PREFIX GCMON_RISCV64_SYSROOT GCMON_RISCV64_PREFIX
  GCMON_RISCV64_EMULATOR)

set(CMAKE_C_COMPILER "${GCMON_RISCV64_TOOLCHAIN_PREFIX}gcc")
# ar, ranlib, strip: CMake finds them next to the compiler by its prefix.

# add_test(COMMAND <target>) then runs the target under qemu-user; -L makes
# qemu resolve the dynamic loader and shared libraries inside the sysroot.
# Empty for a target qemu-user cannot run (RT-Smart): build without tests.
if(GCMON_RISCV64_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${GCMON_RISCV64_EMULATOR}")
endif()

# Libraries, headers and CMake packages come from the target prefix and the
# sysroot only; programs (protoc, nanopb_generator.py, python) from the host.
set(CMAKE_FIND_ROOT_PATH ${GCMON_RISCV64_PREFIX} "${GCMON_RISCV64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config: search the target prefix only, never the host's .pc files.
# The prefix's .pc files carry absolute paths, so no sysroot rewriting.
if(GCMON_RISCV64_PREFIX)
  set(ENV{PKG_CONFIG_LIBDIR}
      "${GCMON_RISCV64_PREFIX}/lib/pkgconfig:${GCMON_RISCV64_PREFIX}/share/pkgconfig")
else()
  set(ENV{PKG_CONFIG_LIBDIR} "${GCMON_RISCV64_SYSROOT}/lib/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")
