/* The run file: how gcmond is told to stop where there are no signals to
 * tell it (RT-Smart; the default there, docs/micropython.md). gcmond
 * creates the file at start, holding its pid as text, and stops cleanly
 * (exit 0) within RUNFILE_CHECK_MS of the file being removed, by
 * `gcmond --stop` or any shell's rm. It removes the file itself when it
 * stops for another reason. */
#ifndef GCMON_RUNFILE_H
#define GCMON_RUNFILE_H

#include <stddef.h>
#include <uv.h>

#define GCMON_RUNFILE_CHECK_MS 250

typedef struct gcmon_runfile gcmon_runfile;
struct gcmon_runfile {
  uv_timer_t timer;
  const char *path;
  void (*on_removed)(gcmon_runfile *r);
  void *data;
};

/* Create path and start watching it: 0, or -1 with one line in err. */
int gcmon_runfile_start(gcmon_runfile *r, uv_loop_t *loop, const char *path,
                        void (*on_removed)(gcmon_runfile *r), char *err,
                        size_t errlen);

/* Stop watching (the handle closes with the loop) and remove the file if
 * it is still there. */
void gcmon_runfile_stop(gcmon_runfile *r);

/* gcmond --stop: remove path. 0, or -1 with one line in err (no gcmond is
 * running with that run file). */
int gcmon_runfile_request_stop(const char *path, char *err, size_t errlen);

#endif
