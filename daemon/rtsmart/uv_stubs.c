/* The close hooks libuv's core.c names for handle kinds the rtsmart libuv
 * leaves out (daemon/rtsmart/CMakeLists.txt): processes (process.c) and
 * file-stat pollers (fs-poll.c). Nothing can create such a handle in this
 * build (uv_spawn, uv_fs_poll_init are not in it), so uv_close never
 * reaches these; they exist so that core.c links without pulling in
 * setuid/setgroups/fork or the whole file-system layer. */
#include "uv.h"
#include "internal.h"

#include <stdlib.h>

void uv__process_close(uv_process_t *handle) {
  (void)handle;
  abort();
}

void uv__fs_poll_close(uv_fs_poll_t *handle) {
  (void)handle;
  abort();
}

/* tty.c (left out: termios) defines this; pipe.c names it only for handles
 * passed over IPC pipes, which gcmond never opens. */
uv_handle_type uv_guess_handle(uv_file file) {
  (void)file;
  return UV_UNKNOWN_HANDLE;
}
