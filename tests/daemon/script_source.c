/* The scripted source (see script_source.h). */
#include "script_source.h"

#include <stdlib.h>
#include <string.h>

static int script_read(gcmon_source *src, uint64_t now_us, gcmon_sample *out) {
  script *s = (script *)src;
  uint64_t seq = out->seq;
  *out = s->next;
  out->seq = seq;
  out->uptime_us = now_us;
  return 0;
}

static int script_collect(gcmon_source *src, uint64_t now_us, int64_t *freed,
                          uint64_t *duration_us) {
  script *s = (script *)src;
  (void)now_us;
  s->next.gc.mem_alloc -= s->collect_frees;
  s->next.gc.mem_free += s->collect_frees;
  s->next.gc.collections++;
  *freed = s->collect_frees;
  *duration_us = 1800;
  return 0;
}

static size_t script_take(gcmon_source *src, gcmon_source_collection *out,
                          size_t max) {
  script *s = (script *)src;
  size_t n = s->n_pending < max ? s->n_pending : max;
  memcpy(out, s->pending, n * sizeof *out);
  s->n_pending = 0;
  return n;
}

static void script_close(gcmon_source *src) {
  free(src);
}

static const gcmon_source_ops gc_ops = {.name = "script",
                                        .read = script_read,
                                        .collect = script_collect,
                                        .close = script_close,
                                        .take_collections = script_take,
                                        .unexplained_cause =
                                            GCMON_COLLECTION_AUTOMATIC};

static const gcmon_source_ops sys_only_ops = {
    .name = "sysonly", .read = script_read, .close = script_close};

script *script_new(bool with_gc) {
  script *s = calloc(1, sizeof *s);
  if (!s)
    abort();
  s->base.ops = with_gc ? &gc_ops : &sys_only_ops;
  s->base.impl = s;
  if (with_gc) {
    s->next.has_gc = true;
    s->next.gc = (gcmon_gc_info){.mem_alloc = 1 * MIB,
                                 .mem_free = 3 * MIB,
                                 .threshold = -1,
                                 .enabled = true,
                                 .largest_free = 2 * MIB};
  }
  s->next.has_sys_mmz = true;
  s->next.sys_mmz =
      (gcmon_mem_info){.total = 256 * MIB, .used = 64 * MIB, .free = 192 * MIB};
  return s;
}

void script_set_gc_free(script *s, int64_t free) {
  s->next.gc.mem_alloc = 4 * MIB - free;
  s->next.gc.mem_free = free;
}
