/* Memory sources: where the daemon's readings come from.
 *
 * A source is a small ops table (like Redis's ae_epoll/ae_kqueue backends):
 * the agent core only ever calls these five functions, so sim, linux, k230
 * and micropython are each one thin file. Sources are single-threaded: the
 * agent calls them from its own loop only.
 *
 *     gcmon_source *src;
 *     char err[128];
 *     if (gcmon_source_open(&src, &cfg, err, sizeof err) != 0)
 *       die("%s", err);            // e.g. "k230: /dev/canmv_misc: No such file"
 *     src->ops->read(src, now_us, &sample);
 *     gcmon_source_close(src);
 *
 * Error contract: 0 or a negative GCMON_E* code. A control op a source cannot
 * do is NULL in its table (the agent answers UNAVAILABLE); an op that exists
 * but fails at run time returns GCMON_EIO (or GCMON_EUNAVAIL) and fills
 * src->error with one human line.
 */
#ifndef GCMON_SOURCE_H
#define GCMON_SOURCE_H

#include "gcmon/error.h"
#include "gcmon/sample.h"

#include <stddef.h>
#include <stdint.h>

#define GCMON_SOURCE_NAME_MAX 16
#define GCMON_DEVICE_ID_MAX 32
#define GCMON_SOURCE_ERROR_MAX 96

typedef struct gcmon_source gcmon_source;

typedef struct gcmon_source_ops {
  const char *name; /* "sim", "linux", "k230", "micropython" */

  /* Fill every counter of out except seq (the agent's). now_us is the
   * agent's monotonic clock; sources copy it to out->uptime_us (the sim also
   * advances its simulated workload to that instant). Must not block for
   * long: it runs on the sampler tick. On entry out->seq says why the agent
   * reads: the series number this reading will take (sampler tick), or 0
   * for an on-demand reading (get_sample, or the reading after a control
   * call). A source whose complete reading is costly may refresh its
   * costly parts for series readings at a bounded rate, never on demand. */
  int (*read)(gcmon_source *src, uint64_t now_us, gcmon_sample *out);

  /* gc.collect(): *freed_bytes = mem_alloc before - after, *duration_us as
   * the collection took. NULL when the source has no gc heap. */
  int (*collect)(gcmon_source *src, uint64_t now_us, int64_t *freed_bytes,
                 uint64_t *duration_us);

  /* gc.threshold(bytes); negative disables. NULL when no gc heap. */
  int (*set_threshold)(gcmon_source *src, int64_t bytes);

  /* gc.enable() / gc.disable(). NULL when no gc heap. */
  int (*set_enabled)(gcmon_source *src, bool enabled);

  /* Release everything the source holds (files, memory). */
  void (*close)(gcmon_source *src);
} gcmon_source_ops;

struct gcmon_source {
  const gcmon_source_ops *ops;
  char device_id[GCMON_DEVICE_ID_MAX + 1]; /* e.g. "k230-sim-42", hostname */
  char error[GCMON_SOURCE_ERROR_MAX + 1];  /* last run-time failure, for logs */
  void *impl;                              /* the source's own state */
};

/* The k230 ioctl seam: the real one calls ioctl(2); tests pass a function
 * that answers from fixtures. Same contract as ioctl(2): returns -1 and sets
 * errno on failure. */
typedef int (*gcmon_ioctl_fn)(int fd, unsigned long request, void *arg,
                              void *ctx);

/* The k230 read seam for /proc/media-mem, whose driver answers only reads
 * of one exact size: the real one calls read(2); tests pass a function that
 * plays the driver. Same contract as read(2). */
typedef long (*gcmon_read_fn)(int fd, void *buf, unsigned long n, void *ctx);

typedef struct gcmon_source_config {
  const char *name; /* which source; NULL means "sim" */
  uint64_t seed;    /* sim: workload seed (same seed + same read times =
                       same readings) */
  const char *workload; /* sim: "default" (NULL) or "heavy" */
  const char *scenario; /* sim: NULL/"" default workload, else a scenario
                           (steady, gc-leak, ...: sim_scenario.h) */
  uint32_t speed;       /* sim: simulated seconds per real second; 0 = 1 */
  const char *meminfo_path;   /* linux: default /proc/meminfo */
  const char *misc_dev_path;  /* k230: default /dev/canmv_misc */
  const char *meminfo_dev_path; /* k230: firmware before Sep 2024, tried when
                                   the misc device is absent; default
                                   /dev/meminfo */
  const char *media_mem_path; /* k230: default /proc/media-mem */
  gcmon_ioctl_fn ioctl_fn;    /* k230: NULL means ioctl(2) */
  gcmon_read_fn read_fn;      /* k230: NULL means read(2) */
  void *ioctl_ctx;            /* passed to ioctl_fn and read_fn */
} gcmon_source_config;

/* Open the named source. On failure returns GCMON_E* and writes one line
 * naming the source and the cause into err (never garbage numbers later).
 * Allocates once here; read/collect/set_* never allocate. */
int gcmon_source_open(gcmon_source **out, const gcmon_source_config *cfg,
                      char *err, size_t errlen);

void gcmon_source_close(gcmon_source *src);

/* Names of the sources compiled in, NULL-terminated (for --help). */
const char *const *gcmon_source_names(void);

#endif
