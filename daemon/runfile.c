/* The run file (see runfile.h): created at start, polled with stat(2) on a
 * uv timer, removed to ask for a stop. */
#define _POSIX_C_SOURCE 200809L
#include "runfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void on_check(uv_timer_t *t) {
  gcmon_runfile *r = t->data;
  struct stat st;
  if (stat(r->path, &st) == 0 || errno != ENOENT)
    return;
  uv_timer_stop(t);
  r->on_removed(r);
}

int gcmon_runfile_start(gcmon_runfile *r, uv_loop_t *loop, const char *path,
                        void (*on_removed)(gcmon_runfile *r), char *err,
                        size_t errlen) {
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, pid, (size_t)n) != n) {
    snprintf(err, errlen, "cannot create run file %s: %s (see --run-file)",
             path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  close(fd);
  r->path = path;
  r->on_removed = on_removed;
  uv_timer_init(loop, &r->timer);
  r->timer.data = r;
  uv_timer_start(&r->timer, on_check, GCMON_RUNFILE_CHECK_MS,
                 GCMON_RUNFILE_CHECK_MS);
  return 0;
}

void gcmon_runfile_stop(gcmon_runfile *r) {
  if (uv_is_closing((uv_handle_t *)&r->timer))
    return;
  uv_timer_stop(&r->timer);
  uv_close((uv_handle_t *)&r->timer, NULL);
  unlink(r->path);
}

int gcmon_runfile_request_stop(const char *path, char *err, size_t errlen) {
  if (unlink(path) == 0)
    return 0;
  snprintf(err, errlen, "cannot stop gcmond: run file %s: %s", path,
           strerror(errno));
  return -1;
}
