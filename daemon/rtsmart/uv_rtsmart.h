/* The libuv ABI of the rtsmart platform configuration (GCMON_PLATFORM=
 * rtsmart), force-included (-include) into every file that is compiled
 * against the rtsmart libuv: libuv itself and gcmon's daemon code.
 *
 * RT-Smart's musl toolchain defines __linux__, so <uv.h> would lay out
 * uv_loop_t with uv/linux.h's epoll/inotify fields. The rtsmart libuv is
 * built from the generic POSIX files instead (posix-poll.c, as libuv builds
 * for GNU Hurd and QNX; daemon/rtsmart/CMakeLists.txt), whose loop needs
 * uv/posix.h's poll(2) fields. Defining uv/linux.h's include guard first
 * keeps its fields out, so both sides agree on one layout whether or not
 * __linux__ is defined where they are compiled. */
#ifndef GCMON_UV_RTSMART_H
#define GCMON_UV_RTSMART_H

#define GCMON_UV_RTSMART 1
#define UV_LINUX_H /* uv/linux.h: not this platform's loop */
#include <uv/posix.h>

#endif
