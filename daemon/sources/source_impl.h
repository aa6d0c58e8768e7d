/* What the source files share and the agent never sees: each source's open
 * function (the registry in source.c picks one by name), and the two ways a
 * source writes a human line: into the caller's err buffer at open, and into
 * src->error when a read fails later.
 *
 * Shape of a source: one heap block per open source, a struct whose first
 * member is the public gcmon_source, so src and the source's own state are
 * the same pointer and close() is one free(). */
#ifndef GCMON_SOURCE_IMPL_H
#define GCMON_SOURCE_IMPL_H

#include "source.h"

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define GCMON__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define GCMON__PRINTF(fmt, args)
#endif

/* Longest path a source keeps (config paths are copied at open). */
#define GCMON__SOURCE_PATH_MAX 256

int gcmon__source_sim_open(gcmon_source **out, const gcmon_source_config *cfg,
                           char *err, size_t errlen);
int gcmon__source_linux_open(gcmon_source **out, const gcmon_source_config *cfg,
                             char *err, size_t errlen);
int gcmon__source_k230_open(gcmon_source **out, const gcmon_source_config *cfg,
                            char *err, size_t errlen);

/* snprintf into a caller buffer that may be NULL or empty. */
void gcmon__source_errf(char *err, size_t errlen, const char *fmt, ...)
    GCMON__PRINTF(3, 4);

/* The same into src->error, for run-time failures; returns code so a read
 * can end with `return gcmon__source_fail(src, GCMON_EIO, ...)`. */
int gcmon__source_fail(gcmon_source *src, int code, const char *fmt, ...)
    GCMON__PRINTF(3, 4);

/* Copy a config path into a fixed buffer; -1 if it does not fit. */
int gcmon__source_copy_path(char *dst, const char *src);

#endif
