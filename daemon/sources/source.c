/* The source registry: maps a name from the command line to a source's open
 * function, owns gcmon_source_open/close/names, and holds the small helpers
 * every source uses to word its errors. Adding a source is one row in
 * `sources` below and one file beside this one. */
#include "source_impl.h"

#include <stdio.h>
#include <string.h>

typedef int (*open_fn)(gcmon_source **out, const gcmon_source_config *cfg,
                       char *err, size_t errlen);

static const struct {
  const char *name;
  open_fn open;
} sources[] = {
    {"sim", gcmon__source_sim_open},
    {"linux", gcmon__source_linux_open},
    {"k230", gcmon__source_k230_open},
};

static const char *const source_names[] = {"sim", "linux", "k230", NULL};

#define N_SOURCES (sizeof sources / sizeof sources[0])

int gcmon_source_open(gcmon_source **out, const gcmon_source_config *cfg,
                      char *err, size_t errlen) {
  static const gcmon_source_config defaults;
  const char *name;

  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (out == NULL) {
    gcmon__source_errf(err, errlen, "source: no place for the result");
    return GCMON_EINVAL;
  }
  *out = NULL;
  if (cfg == NULL)
    cfg = &defaults;
  name = cfg->name != NULL ? cfg->name : "sim";
  for (size_t i = 0; i < N_SOURCES; i++)
    if (strcmp(sources[i].name, name) == 0)
      return sources[i].open(out, cfg, err, errlen);
  gcmon__source_errf(err, errlen,
                     "unknown source '%s' (one of: sim, linux, k230)", name);
  return GCMON_EINVAL;
}

void gcmon_source_close(gcmon_source *src) {
  if (src != NULL)
    src->ops->close(src);
}

const char *const *gcmon_source_names(void) {
  return source_names;
}

void gcmon__source_errf(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;

  if (err == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

int gcmon__source_fail(gcmon_source *src, int code, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(src->error, sizeof src->error, fmt, ap);
  va_end(ap);
  return code;
}

int gcmon__source_copy_path(char *dst, const char *src) {
  size_t n = strlen(src);

  if (n >= GCMON__SOURCE_PATH_MAX)
    return -1;
  memcpy(dst, src, n + 1);
  return 0;
}
