# gcmon as a MicroPython user C module, for CMake-based ports:
#
#   make USER_C_MODULES=/path/to/gcmon/daemon/micropython/micropython.cmake
#
# The module needs POSIX threads and libuv, which the CMake-based ports
# (esp32, rp2, ...) do not have; the ports gcmon targets (unix, CanMV K230)
# build with make and use micropython.mk beside this file. This file is the
# same module for a CMake port that does have them; docs/micropython.md says
# what has been checked.
#
# Cache knobs: GCMON_PYTHON, NANOPB_GENERATOR, NANOPB_DIR (nanopb sources;
# empty = the system's pb.h and libprotobuf-nanopb.a), GCMON_MP_K230,
# GCMON_GC_HOOK (micropython.mk describes them).

get_filename_component(GCMON_ROOT "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)
set(GCMON_MP_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(GCMON_GEN "${CMAKE_BINARY_DIR}/gcmon-nanopb")

set(GCMON_PYTHON "/usr/bin/python3" CACHE FILEPATH
    "Python with google.protobuf, for the nanopb generator")
find_program(NANOPB_GENERATOR NAMES nanopb_generator.py nanopb_generator
             REQUIRED)
set(NANOPB_DIR "" CACHE PATH "nanopb source tree; empty = system nanopb")
set(GCMON_MP_K230 0 CACHE STRING "1: sys_* counters of a CanMV K230")
option(GCMON_GC_HOOK "time collections by wrapping gc_collect() at link time"
       ON)

file(MAKE_DIRECTORY "${GCMON_GEN}")
add_custom_command(
  OUTPUT "${GCMON_GEN}/gcmon.pb.c" "${GCMON_GEN}/gcmon.pb.h"
  COMMAND "${GCMON_PYTHON}" "${NANOPB_GENERATOR}" -q
          -I "${GCMON_ROOT}/proto" -D "${GCMON_GEN}"
          "${GCMON_ROOT}/proto/gcmon.proto"
  DEPENDS "${GCMON_ROOT}/proto/gcmon.proto" "${GCMON_ROOT}/proto/gcmon.options"
  COMMENT "nanopb: generating gcmon.pb.c/h for the gcmon module"
  VERBATIM)

file(GLOB GCMON_CORE_SOURCES
  "${GCMON_ROOT}/daemon/agent/*.c"
  "${GCMON_ROOT}/daemon/transport/*.c"
  "${GCMON_ROOT}/daemon/sources/*.c")

add_library(usermod_gcmon INTERFACE)
target_sources(usermod_gcmon INTERFACE
  "${GCMON_MP_DIR}/modgcmon.c"
  "${GCMON_MP_DIR}/vm_micropython.c"
  "${GCMON_MP_DIR}/mailbox.c"
  "${GCMON_MP_DIR}/source_micropython.c"
  "${GCMON_MP_DIR}/runner.c"
  "${GCMON_MP_DIR}/console.c"
  "${GCMON_MP_DIR}/console_micropython.c"
  "${GCMON_MP_DIR}/lifecycle.c"
  "${GCMON_MP_DIR}/gc_hook_micropython.c"
  ${GCMON_CORE_SOURCES}
  "${GCMON_ROOT}/proto/gcmon_frame.c"
  "${GCMON_ROOT}/proto/gcmon_crc32.c"
  "${GCMON_ROOT}/proto/gcmon_error.c"
  "${GCMON_ROOT}/proto/gcmon_compact.c"
  "${GCMON_ROOT}/proto/gcmon_insight_names.c"
  "${GCMON_ROOT}/proto/gcmon_pb_limits.c"
  "${GCMON_ROOT}/proto/gcmon_mac.c"
  "${GCMON_GEN}/gcmon.pb.c")
target_include_directories(usermod_gcmon INTERFACE
  "${GCMON_ROOT}/include"
  "${GCMON_ROOT}/proto"
  "${GCMON_ROOT}/daemon/agent"
  "${GCMON_ROOT}/daemon/sources"
  "${GCMON_ROOT}/daemon/transport"
  "${GCMON_MP_DIR}"
  "${GCMON_GEN}")
target_compile_definitions(usermod_gcmon INTERFACE
  GCMON_MP_K230=${GCMON_MP_K230})
if(GCMON_GC_HOOK)
  target_sources(usermod_gcmon INTERFACE "${GCMON_MP_DIR}/gc_hook.c")
  target_compile_definitions(usermod_gcmon INTERFACE GCMON_GC_HOOK=1)
  target_link_options(usermod_gcmon INTERFACE "-Wl,--wrap=gc_collect")
else()
  target_compile_definitions(usermod_gcmon INTERFACE GCMON_GC_HOOK=0)
endif()

# Before MicroPython v1.24 (525fce7170) py/usermod.cmake calls
# get_target_property() on everything in INTERFACE_LINK_LIBRARIES, so only
# targets may go there: libraries are passed as link options instead.
if(NANOPB_DIR)
  target_sources(usermod_gcmon INTERFACE "${NANOPB_DIR}/pb_common.c"
                 "${NANOPB_DIR}/pb_encode.c" "${NANOPB_DIR}/pb_decode.c")
  target_include_directories(usermod_gcmon INTERFACE "${NANOPB_DIR}")
else()
  find_library(GCMON_NANOPB_LIB NAMES libprotobuf-nanopb.a REQUIRED)
  target_link_options(usermod_gcmon INTERFACE "${GCMON_NANOPB_LIB}")
endif()
# Challenge-response needs mbedTLS's SHA-256: the port's own when it builds
# one (MICROPY_SSL_MBEDTLS, whose include path and config it provides),
# else the system's libmbedcrypto.
if(NOT MICROPY_SSL_MBEDTLS)
  find_library(GCMON_MBEDCRYPTO_LIB NAMES mbedcrypto REQUIRED)
  target_link_options(usermod_gcmon INTERFACE "${GCMON_MBEDCRYPTO_LIB}")
endif()
find_package(PkgConfig REQUIRED)
pkg_check_modules(GCMON_LIBUV REQUIRED libuv)
target_include_directories(usermod_gcmon INTERFACE ${GCMON_LIBUV_INCLUDE_DIRS})
target_link_options(usermod_gcmon INTERFACE ${GCMON_LIBUV_LDFLAGS} -pthread)

target_link_libraries(usermod INTERFACE usermod_gcmon)
