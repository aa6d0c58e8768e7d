/* The protocol's structures as writer records, with docs/protocol.md's field
 * names and nesting (Sample, GcInfo, MemInfo, HelloResponse, ...), so the
 * JSON and CSV outputs are the wire contract spelled as text. Absent
 * optional groups (no gc heap, unknown sys_*) are left out. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "cli.h"

#include <string.h>
#include <time.h>

int64_t cli_wall_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cli_clock_anchor(cli_clock *k, uint64_t run_id, uint64_t uptime_us,
                      int64_t wall_us) {
  k->run_id = run_id;
  k->uptime_us = uptime_us;
  k->wall_us = wall_us;
  k->set = true;
}

int64_t cli_clock_wall(cli_clock *k, uint64_t run_id, const gcmon_sample *s) {
  if (!k->set || k->run_id != run_id)
    cli_clock_anchor(k, run_id, s->uptime_us, cli_wall_now_us());
  return k->wall_us + ((int64_t)s->uptime_us - (int64_t)k->uptime_us);
}

const char *const emit_series_columns[] = {"event",
                                           "run_id",
                                           "seq",
                                           "uptime_us",
                                           "gc.mem_alloc",
                                           "gc.mem_free",
                                           "gc.threshold",
                                           "gc.enabled",
                                           "gc.collections",
                                           "gc.largest_free",
                                           "sys_total",
                                           "sys_heap.total",
                                           "sys_heap.used",
                                           "sys_heap.free",
                                           "sys_page.total",
                                           "sys_page.used",
                                           "sys_page.free",
                                           "sys_mmz.total",
                                           "sys_mmz.used",
                                           "sys_mmz.free",
                                           "first",
                                           "last",
                                           "prev_run_id",
                                           "time", /* added last: old
                                                      readers keep working */
                                           "alarm",
                                           "raised",
                                           "value",
                                           /* 1.1 memory insight, last too:
                                              watermarks on sample rows */
                                           "watermarks.gc.min_free",
                                           "watermarks.gc.max_used",
                                           "watermarks.gc.min_largest_free",
                                           "watermarks.sys_heap.min_free",
                                           "watermarks.sys_heap.max_used",
                                           "watermarks.sys_heap.min_largest_free",
                                           "watermarks.sys_page.min_free",
                                           "watermarks.sys_page.max_used",
                                           "watermarks.sys_page.min_largest_free",
                                           "watermarks.sys_mmz.min_free",
                                           "watermarks.sys_mmz.max_used",
                                           "watermarks.sys_mmz.min_largest_free",
                                           /* collection rows */
                                           "number",
                                           "cause",
                                           "start_uptime_us",
                                           "pause_us",
                                           "alloc_before",
                                           "alloc_after",
                                           "freed_bytes",
                                           "largest_free_after",
                                           NULL};

static void emit_mem(writer *w, const char *key, const gcmon_mem_info *m) {
  w->ops->group(w, key);
  w_bytes(w, "total", m->total, 0);
  w_bytes(w, "used", m->used, m->total);
  w_bytes(w, "free", m->free, m->total);
  if (m->peak_used)
    w_bytes(w, "peak_used", m->peak_used, m->total);
  w->ops->group_end(w);
}

void emit_sample_fields(writer *w, const gcmon_sample *s) {
  w_u64(w, "seq", s->seq);
  w_uptime(w, "uptime_us", s->uptime_us);
  if (s->has_gc) {
    const gcmon_gc_info *g = &s->gc;
    uint64_t heap = g->mem_alloc >= 0 && g->mem_free >= 0
                        ? (uint64_t)g->mem_alloc + (uint64_t)g->mem_free
                        : 0;
    w->ops->group(w, "gc");
    w_sbytes(w, "mem_alloc", g->mem_alloc, heap);
    w_sbytes(w, "mem_free", g->mem_free, heap);
    w_threshold(w, "threshold", g->threshold);
    w_bool(w, "enabled", g->enabled);
    w_u64(w, "collections", g->collections);
    w_sbytes(w, "largest_free", g->largest_free, 0);
    w->ops->group_end(w);
  }
  w_bytes(w, "sys_total", s->sys_total, 0);
  if (s->has_sys_heap)
    emit_mem(w, "sys_heap", &s->sys_heap);
  if (s->has_sys_page)
    emit_mem(w, "sys_page", &s->sys_page);
  if (s->has_sys_mmz)
    emit_mem(w, "sys_mmz", &s->sys_mmz);
}

void emit_sample(writer *w, const gcmon_sample *s) {
  w->ops->begin(w);
  emit_sample_fields(w, s);
  w->ops->end(w);
}

void emit_sample_at(writer *w, const gcmon_sample *s, int64_t wall_us) {
  w->ops->begin(w);
  w_time(w, "time", wall_us);
  emit_sample_fields(w, s);
  w->ops->end(w);
}

void emit_series_sample(writer *w, uint64_t run_id, const gcmon_sample *s,
                        const gcmon_watermarks *wm, int64_t wall_us) {
  w->ops->begin(w);
  w_str(w, "event", "sample");
  w_id(w, "run_id", run_id);
  w_time(w, "time", wall_us);
  emit_sample_fields(w, s);
  if (wm)
    emit_watermarks(w, wm);
  w->ops->end(w);
}

void emit_gap(writer *w, uint64_t run_id, uint64_t first, uint64_t last) {
  w->ops->begin(w);
  w_str(w, "event", "gap");
  w_id(w, "run_id", run_id);
  w_u64(w, "first", first);
  w_u64(w, "last", last);
  w->ops->end(w);
}

void emit_restart(writer *w, uint64_t run_id, uint64_t prev_run_id) {
  w->ops->begin(w);
  w_str(w, "event", "restart");
  w_id(w, "run_id", run_id);
  w_id(w, "prev_run_id", prev_run_id);
  w->ops->end(w);
}

void emit_info(writer *w, const gcmon_info *i, const gcmon_console_info *ci) {
  w->ops->begin(w);
  w_str(w, "daemon", i->daemon);
  w_str(w, "source", i->source);
  w_str(w, "device_id", i->device_id);
  w_u64(w, "version", i->version);
  w_id(w, "run_id", i->run_id);
  w_bool(w, "control", i->control);
  w_u64(w, "min_interval_ms", i->min_interval_ms);
  w_u64(w, "history_capacity", i->history_capacity);
  w_u64(w, "max_payload", i->max_payload);
  if (i->max_subscriptions)
    w_u64(w, "max_subscriptions", i->max_subscriptions);
  if (i->max_sessions)
    w_u64(w, "max_sessions", i->max_sessions);
  if (i->minor) {
    w_u64(w, "minor", i->minor);
    w_bool(w, "compact", i->compact);
  }
  if (ci) {
    w->ops->group(w, "console");
    w_str(w, "mode", ci->mode);
    if (strcmp(ci->mode, "stock") == 0) {
      w_dbytes(w, "heap_per_reading", ci->heap_per_reading);
      w_duration(w, "reading_us", ci->reading_us);
      w_u64(w, "max_readings_per_s", (uint64_t)ci->max_readings_per_s);
    }
    w->ops->group_end(w);
  }
  w->ops->end(w);
}

void emit_collect(writer *w, const gcmon_collect_result *r) {
  w->ops->begin(w);
  w_dbytes(w, "freed_bytes", r->freed_bytes);
  w_duration(w, "duration_us", r->duration_us);
  w->ops->group(w, "after");
  emit_sample_fields(w, &r->after);
  w->ops->group_end(w);
  w->ops->end(w);
}

void emit_link_stats(writer *w, const gcmon_link_stats *s) {
  w->ops->group(w, "link");
  w_u64(w, "frames_in", s->frames_in);
  w_u64(w, "frames_out", s->frames_out);
  w_u64(w, "crc_errors", s->crc_errors);
  w_u64(w, "frames_dropped", s->frames_dropped);
  w_u64(w, "bytes_discarded", s->bytes_discarded);
  w_u64(w, "seq_gaps", s->seq_gaps);
  w_u64(w, "seq_missing", s->seq_missing);
  w_u64(w, "reconnects", s->connects > 0 ? s->connects - 1 : 0);
  w->ops->group_end(w);
}
