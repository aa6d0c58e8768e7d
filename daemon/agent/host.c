/* What the agent asks of its host, through the config it was given: a
 * reading of the source now, and a log line. The bottom of the agent core
 * (layer 1): every layer above may log or read without depending on the
 * agent's lifecycle (agent.c). */
#define _POSIX_C_SOURCE 200809L
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void gcmon_agent_log(gcmon_agent *a, gcmon_log_level level, const char *fmt,
                     ...) {
  char line[256];
  va_list ap;
  if (!a->cfg.log)
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  a->cfg.log(a->cfg.log_data, level, line);
}

int gcmon__agent_read_now(gcmon_agent *a, uint64_t seq, gcmon_sample *out) {
  gcmon_source *src = a->cfg.source;
  memset(out, 0, sizeof *out);
  out->seq = seq;
  src->error[0] = '\0';
  return src->ops->read(src, a->cfg.now_us(a->cfg.clock_data), out);
}
