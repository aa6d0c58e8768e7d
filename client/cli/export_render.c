/* The Prometheus text exposition (format 0.0.4) of gcmon snapshots: a pure
 * function from export_snapshot[] to text, so that names, label escaping
 * and what is left out when a board is down are unit-tested without a
 * board, a socket or a clock.
 *
 * Every metric family is a row of the table below: name, type, help, and
 * the function that emits its series for one snapshot. Rendering walks the
 * table once and, for each family, every snapshot: the HELP and TYPE lines
 * come once, before the family's first series, and a family's series stay
 * together as the format requires. Names follow Prometheus conventions:
 * base units (_bytes, _seconds), counters end in _total and nothing else
 * does, pools are a label. When a probe fails only the probe, link and
 * staleness families remain: a sample that is not fresh is not exported as
 * if it were current. */
#include "export.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct label {
  const char *name, *value;
} label;

typedef struct render render;
typedef void (*emit_fn)(render *r, const export_snapshot *s);

typedef struct family {
  const char *name;
  const char *type; /* counter, gauge */
  const char *help;
  emit_fn emit;
} family;

struct render {
  export_text *out;
  unsigned flags;
  const family *fam;
  bool header_done;
};

/* ---- escaping ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  unsigned char c = p[0];
  size_t len, i;
  unsigned char lo = 0x80, hi = 0xBF;

  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    len = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    len = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    len = 4;
  else
    return 0;
  if (n < len)
    return 0;
  if (c == 0xE0)
    lo = 0xA0; /* overlong */
  else if (c == 0xED)
    hi = 0x9F; /* surrogates */
  else if (c == 0xF0)
    lo = 0x90; /* overlong */
  else if (c == 0xF4)
    hi = 0x8F; /* above U+10FFFF */
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (i = 2; i < len; i++)
    if (p[i] < 0x80 || p[i] > 0xBF)
      return 0;
  return len;
}

/* v as valid UTF-8 (anything else becomes U+FFFD), either as a label
 * value (backslash, double quote and newline escaped) or as comment text
 * (control bytes become spaces, so it stays one line). */
static void put_text(export_text *out, const char *v, bool as_label) {
  const unsigned char *p = (const unsigned char *)v;
  size_t n = strlen(v);

  while (n > 0) {
    size_t k = utf8_len(p, n);
    if (k == 0) {
      export_text_put(out, "\xEF\xBF\xBD", 3);
      k = 1;
    } else if (as_label && *p == '\\') {
      export_text_put(out, "\\\\", 2);
    } else if (as_label && *p == '"') {
      export_text_put(out, "\\\"", 2);
    } else if (as_label && *p == '\n') {
      export_text_put(out, "\\n", 2);
    } else if (!as_label && (*p < 0x20 || *p == 0x7F)) {
      export_text_put(out, " ", 1);
    } else {
      export_text_put(out, (const char *)p, k);
    }
    p += k;
    n -= k;
  }
}

void export_render_label_value(export_text *out, const char *v) {
  put_text(out, v, true);
}

/* HELP text escapes only backslash and newline. */
static void help_text(export_text *out, const char *v) {
  for (; *v; v++) {
    if (*v == '\\')
      export_text_put(out, "\\\\", 2);
    else if (*v == '\n')
      export_text_put(out, "\\n", 2);
    else
      export_text_put(out, v, 1);
  }
}

/* ---- series ------------------------------------------------------------ */

static void series(render *r, const export_snapshot *s, const label *l,
                   size_t n, const char *value) {
  bool any = false;

  if (!r->header_done) {
    export_text_printf(r->out, "# HELP %s ", r->fam->name);
    help_text(r->out, r->fam->help);
    export_text_printf(r->out, "\n# TYPE %s %s\n", r->fam->name, r->fam->type);
    r->header_done = true;
  }
  export_text_put(r->out, r->fam->name, strlen(r->fam->name));
  if (r->flags & EXPORT_RENDER_TARGET_LABEL) {
    export_text_put(r->out, "{target=\"", 9);
    export_render_label_value(r->out, s->target);
    export_text_put(r->out, "\"", 1);
    any = true;
  }
  for (size_t i = 0; i < n; i++) {
    export_text_printf(r->out, "%s%s=\"", any ? "," : "{", l[i].name);
    export_render_label_value(r->out, l[i].value);
    export_text_put(r->out, "\"", 1);
    any = true;
  }
  export_text_printf(r->out, "%s %s\n", any ? "}" : "", value);
}

static void put_u64(render *r, const export_snapshot *s, const label *l,
                    size_t n, uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "%" PRIu64, v);
  series(r, s, l, n, b);
}

/* Microseconds as exact decimal seconds. */
static void put_us(render *r, const export_snapshot *s, uint64_t us) {
  char b[32];
  snprintf(b, sizeof b, "%" PRIu64 ".%06" PRIu64, us / 1000000u, us % 1000000u);
  series(r, s, NULL, 0, b);
}

static void put_secs(render *r, const export_snapshot *s, double v) {
  char b[32];
  snprintf(b, sizeof b, "%.6f", v);
  series(r, s, NULL, 0, b);
}

/* ---- the families ------------------------------------------------------ */

static bool fresh(const export_snapshot *s) {
  return s->ok && s->have_sample;
}

static void e_probe_success(render *r, const export_snapshot *s) {
  put_u64(r, s, NULL, 0, s->ok ? 1 : 0);
}

static void e_probe_duration(render *r, const export_snapshot *s) {
  if (s->probe_duration_s >= 0)
    put_secs(r, s, s->probe_duration_s);
}

static void e_link_up(render *r, const export_snapshot *s) {
  put_u64(r, s, NULL, 0, s->link_up ? 1 : 0);
}

static void e_sample_age(render *r, const export_snapshot *s) {
  if (s->have_sample)
    put_secs(r, s, s->sample_age_s);
}

static void e_info(render *r, const export_snapshot *s) {
  char run_id[17];
  label l[4];
  if (!fresh(s) || !s->have_info)
    return;
  snprintf(run_id, sizeof run_id, "%016" PRIx64, s->info.run_id);
  l[0] = (label){"daemon", s->info.daemon};
  l[1] = (label){"source", s->info.source};
  l[2] = (label){"device", s->info.device_id};
  l[3] = (label){"run_id", run_id};
  series(r, s, l, 4, "1");
}

static void e_interval(render *r, const export_snapshot *s) {
  if (fresh(s) && s->interval_ms)
    put_us(r, s, (uint64_t)s->interval_ms * 1000u);
}

static void e_seq(render *r, const export_snapshot *s) {
  if (fresh(s))
    put_u64(r, s, NULL, 0, s->sample.seq);
}

static void e_uptime(render *r, const export_snapshot *s) {
  if (fresh(s))
    put_us(r, s, s->sample.uptime_us);
}

static void e_system_memory(render *r, const export_snapshot *s) {
  if (fresh(s) && s->sample.sys_total)
    put_u64(r, s, NULL, 0, s->sample.sys_total);
}

/* The pools, in docs/protocol.md's order: which field of gcmon_mem_info. */
enum { POOL_TOTAL, POOL_USED, POOL_FREE, POOL_PEAK_USED };

static void pools(render *r, const export_snapshot *s, int which) {
  const struct {
    const char *name;
    bool has;
    const gcmon_mem_info *m;
  } p[] = {{"heap", s->sample.has_sys_heap, &s->sample.sys_heap},
           {"page", s->sample.has_sys_page, &s->sample.sys_page},
           {"mmz", s->sample.has_sys_mmz, &s->sample.sys_mmz}};
  if (!fresh(s))
    return;
  for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
    label l = {"pool", p[i].name};
    if (!p[i].has || (which == POOL_PEAK_USED && p[i].m->peak_used == 0))
      continue;
    put_u64(r, s, &l, 1,
            which == POOL_TOTAL  ? p[i].m->total
            : which == POOL_USED ? p[i].m->used
            : which == POOL_FREE ? p[i].m->free
                                 : p[i].m->peak_used);
  }
}

static void e_pool_size(render *r, const export_snapshot *s) {
  pools(r, s, POOL_TOTAL);
}
static void e_pool_used(render *r, const export_snapshot *s) {
  pools(r, s, POOL_USED);
}
static void e_pool_free(render *r, const export_snapshot *s) {
  pools(r, s, POOL_FREE);
}
static void e_pool_peak_used(render *r, const export_snapshot *s) {
  pools(r, s, POOL_PEAK_USED);
}

static const gcmon_gc_info *gc(const export_snapshot *s) {
  return fresh(s) && s->sample.has_gc ? &s->sample.gc : NULL;
}

/* A signed gc figure, left out when negative (unknown, or off). */
static void gc_bytes(render *r, const export_snapshot *s, int64_t v) {
  if (v >= 0)
    put_u64(r, s, NULL, 0, (uint64_t)v);
}

static void e_gc_alloc(render *r, const export_snapshot *s) {
  if (gc(s))
    gc_bytes(r, s, gc(s)->mem_alloc);
}
static void e_gc_free(render *r, const export_snapshot *s) {
  if (gc(s))
    gc_bytes(r, s, gc(s)->mem_free);
}
static void e_gc_threshold(render *r, const export_snapshot *s) {
  if (gc(s))
    gc_bytes(r, s, gc(s)->threshold);
}
static void e_gc_threshold_on(render *r, const export_snapshot *s) {
  if (gc(s))
    put_u64(r, s, NULL, 0, gc(s)->threshold >= 0 ? 1 : 0);
}
static void e_gc_largest_free(render *r, const export_snapshot *s) {
  if (gc(s))
    gc_bytes(r, s, gc(s)->largest_free);
}
static void e_gc_enabled(render *r, const export_snapshot *s) {
  if (gc(s))
    put_u64(r, s, NULL, 0, gc(s)->enabled ? 1 : 0);
}
static void e_gc_collections(render *r, const export_snapshot *s) {
  if (gc(s))
    put_u64(r, s, NULL, 0, gc(s)->collections);
}

/* Link counters: always present, a board that is down still has them. */
#define LINK_EMITTER(fn, expr)                                                 \
  static void fn(render *r, const export_snapshot *s) {                        \
    const gcmon_link_stats *l = &s->link;                                      \
    put_u64(r, s, NULL, 0, (expr));                                            \
  }
LINK_EMITTER(e_link_bytes_in, l->bytes_in)
LINK_EMITTER(e_link_bytes_out, l->bytes_out)
LINK_EMITTER(e_link_frames_in, l->frames_in)
LINK_EMITTER(e_link_frames_out, l->frames_out)
LINK_EMITTER(e_link_crc, l->crc_errors)
LINK_EMITTER(e_link_dropped, l->frames_dropped)
LINK_EMITTER(e_link_undecodable, l->undecodable)
LINK_EMITTER(e_link_discarded, l->bytes_discarded)
LINK_EMITTER(e_link_gaps, l->seq_gaps)
LINK_EMITTER(e_link_missing, l->seq_missing)
LINK_EMITTER(e_link_reconnects, l->connects > 0 ? l->connects - 1 : 0)
LINK_EMITTER(e_link_disconnects, l->disconnects)
#undef LINK_EMITTER

static const family families[] = {
    {"gcmon_probe_success", "gauge",
     "1 when a session with the target is open and its latest sample is "
     "fresh; 0 when it is unreachable, the link is down or the sample is "
     "stale.",
     e_probe_success},
    {"gcmon_probe_duration_seconds", "gauge",
     "How long this probe took, waiting for a first sample included.",
     e_probe_duration},
    {"gcmon_link_up", "gauge", "1 while a session with the daemon is open.",
     e_link_up},
    {"gcmon_last_sample_age_seconds", "gauge",
     "Time since the exporter received the latest sample.", e_sample_age},
    {"gcmon_info", "gauge",
     "The daemon's hello: name and version, memory source, device id, run "
     "id (changes when the daemon restarts).",
     e_info},
    {"gcmon_sample_interval_seconds", "gauge",
     "Interval between the samples the exporter receives.", e_interval},
    {"gcmon_sample_seq", "gauge",
     "Series number of the latest sample (0: an on-demand reading).", e_seq},
    {"gcmon_device_uptime_seconds", "gauge",
     "Device monotonic time of the latest sample.", e_uptime},
    {"gcmon_system_memory_bytes", "gauge", "gc.sys_total(): system memory.",
     e_system_memory},
    {"gcmon_pool_size_bytes", "gauge",
     "Capacity of a memory pool: heap = gc.sys_heap() (kernel heap), page = "
     "gc.sys_page() (user pages), mmz = gc.sys_mmz() (multimedia).",
     e_pool_size},
    {"gcmon_pool_used_bytes", "gauge", "Bytes in use in a memory pool.",
     e_pool_used},
    {"gcmon_pool_free_bytes", "gauge", "Bytes free in a memory pool.",
     e_pool_free},
    {"gcmon_pool_peak_used_bytes", "gauge",
     "Highest use of a memory pool since the board booted, where the board "
     "keeps one (the K230 kernel heap).",
     e_pool_peak_used},
    {"gcmon_gc_allocated_bytes", "gauge",
     "gc.mem_alloc(): bytes allocated on the garbage-collected heap.",
     e_gc_alloc},
    {"gcmon_gc_free_bytes", "gauge",
     "gc.mem_free(): bytes free on the garbage-collected heap.", e_gc_free},
    {"gcmon_gc_threshold_bytes", "gauge",
     "gc.threshold(): allocation that triggers a collection; absent when "
     "off.",
     e_gc_threshold},
    {"gcmon_gc_threshold_enabled", "gauge",
     "1 when a gc allocation threshold is set.", e_gc_threshold_on},
    {"gcmon_gc_largest_free_bytes", "gauge",
     "Largest free block on the gc heap (fragmentation); absent when "
     "unknown.",
     e_gc_largest_free},
    {"gcmon_gc_enabled", "gauge", "gc.isenabled(): automatic collection on.",
     e_gc_enabled},
    {"gcmon_gc_collections_total", "counter",
     "Garbage collections since the daemon started.", e_gc_collections},
    {"gcmon_link_received_bytes_total", "counter", "Bytes read from the link.",
     e_link_bytes_in},
    {"gcmon_link_sent_bytes_total", "counter", "Bytes written to the link.",
     e_link_bytes_out},
    {"gcmon_link_received_frames_total", "counter", "Valid frames received.",
     e_link_frames_in},
    {"gcmon_link_sent_frames_total", "counter", "Frames sent.",
     e_link_frames_out},
    {"gcmon_link_crc_errors_total", "counter",
     "Frames dropped for a CRC mismatch.", e_link_crc},
    {"gcmon_link_dropped_frames_total", "counter",
     "Frames dropped for any reason (CRC, size, escape, undecodable).",
     e_link_dropped},
    {"gcmon_link_undecodable_frames_total", "counter",
     "Valid frames that were not a usable packet.", e_link_undecodable},
    {"gcmon_link_discarded_bytes_total", "counter",
     "Bytes between frames (console noise on a shared UART).",
     e_link_discarded},
    {"gcmon_link_seq_gaps_total", "counter",
     "Gaps in the sample series that could not be recovered.", e_link_gaps},
    {"gcmon_link_missed_samples_total", "counter", "Samples those gaps cover.",
     e_link_missing},
    {"gcmon_link_reconnects_total", "counter",
     "Sessions opened again after a lost link.", e_link_reconnects},
    {"gcmon_link_disconnects_total", "counter",
     "Sessions lost after a successful hello.", e_link_disconnects},
};

/* Why each failed target failed, as comments (Prometheus ignores them; a
 * person reading the exposition sees the reason). */
static void reasons(export_text *out, const export_snapshot *snaps, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (snaps[i].ok || !snaps[i].error[0])
      continue;
    export_text_put(out, "# gcmon: ", 9);
    put_text(out, snaps[i].target, false);
    export_text_put(out, ": ", 2);
    put_text(out, snaps[i].error, false);
    export_text_put(out, "\n", 1);
  }
}

void export_render(export_text *out, const export_snapshot *snaps, size_t n,
                   unsigned flags) {
  render r;

  memset(&r, 0, sizeof r);
  r.out = out;
  r.flags = flags;
  reasons(out, snaps, n);
  for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
    r.fam = &families[f];
    r.header_done = false;
    for (size_t i = 0; i < n; i++)
      families[f].emit(&r, &snaps[i]);
  }
}

void export_render_self(export_text *out, const export_self *self) {
  export_text_printf(
      out,
      "# HELP gcmon_exporter_targets Targets the exporter keeps a session "
      "with: listed with -t, or cached for /probe.\n"
      "# TYPE gcmon_exporter_targets gauge\n"
      "gcmon_exporter_targets{kind=\"listed\"} %zu\n"
      "gcmon_exporter_targets{kind=\"probe\"} %zu\n"
      "# HELP gcmon_exporter_probe_targets_max Probe targets cached at most "
      "(--max-targets).\n"
      "# TYPE gcmon_exporter_probe_targets_max gauge\n"
      "gcmon_exporter_probe_targets_max %zu\n"
      "# HELP gcmon_exporter_probes_rejected_total Probes refused because "
      "the probe target limit was reached.\n"
      "# TYPE gcmon_exporter_probes_rejected_total counter\n"
      "gcmon_exporter_probes_rejected_total %" PRIu64 "\n",
      self->listed, self->probed, self->probe_limit, self->rejected);
}
