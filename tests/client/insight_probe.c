/* The libgcmon memory-insight API against a real gcmond, for
 * test_gcmon_insight.py to compare with what an independent decoder sees:
 * one line per fact, "key value ...", on stdout.
 *
 *     insight_probe TARGET
 *
 *   collect FREED DURATION             gcmon_collect
 *   record NUMBER CAUSE PAUSE FREED    gcmon_get_collections, each record
 *   window FROM TO GC_MIN_FREE         gcmon_get_watermarks(reset = false)
 *   alarm ID OWNER                     gcmon_add_alarm, as installed
 *   listed ID ACTIVE                   gcmon_list_alarms
 *   sample SEQ WM_FROM WM_TO MIN_FREE MEM_FREE   gcmon_subscribe_ex events
 *   event alarm ID RAISED | event collection NUMBER CAUSE
 * Exit 0, or 1 with the library's message on stderr. */
#include "gcmon/client.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  int samples;
  int alarms;
} seen;

static void on_event(gcmon_subscription *s, const gcmon_event *ev, void *data) {
  seen *v = data;
  const gcmon_watermarks *w = ev->watermarks;
  switch (ev->type) {
  case GCMON_EVENT_SAMPLE:
    if (!w)
      break;
    printf("sample %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64
           "\n",
           ev->sample->seq, w->from_seq, w->to_seq,
           w->pool[GCMON_POOL_GC].min_free, ev->sample->gc.mem_free);
    v->samples++;
    break;
  case GCMON_EVENT_ALARM:
    printf("event alarm %" PRIu32 " %d\n", ev->alarm->alarm,
           ev->alarm->raised ? 1 : 0);
    v->alarms++;
    break;
  case GCMON_EVENT_COLLECTION:
    printf("event collection %" PRIu64 " %s\n", ev->collection->number,
           gcmon_collection_cause_name(ev->collection->cause));
    break;
  default:
    break;
  }
  if (v->samples >= 3 && v->alarms >= 1)
    gcmon_client_break(gcmon_subscription_client(s));
}

static int fail(gcmon_client *c) {
  fprintf(stderr, "insight_probe: %s\n", gcmon_client_errmsg(c));
  gcmon_client_close(c);
  return 1;
}

int main(int argc, char **argv) {
  gcmon_client_options o = {.client_name = "probe"};
  gcmon_subscribe_options so = {.interval_ms = 100,
                                .watermarks = true,
                                .collections = true,
                                .alarms = true};
  gcmon_alarm_rule rule = {.pool = GCMON_POOL_SYS_MMZ,
                           .metric = GCMON_ALARM_USED,
                           .compare = GCMON_ALARM_ABOVE,
                           .level = 1 << 20};
  gcmon_collect_result cr;
  gcmon_collections cs;
  gcmon_watermark_window ww;
  gcmon_alarm_rule installed;
  gcmon_alarm_list al;
  gcmon_subscription *sub;
  gcmon_client *c;
  seen v = {0, 0};

  if (argc != 2 || gcmon_client_init(&c, NULL, argv[1], &o) != 0)
    return 2;
  if (gcmon_client_connect(c, 0) != 0 || gcmon_collect(c, &cr, 0) != 0)
    return fail(c);
  printf("collect %" PRId64 " %" PRIu64 "\n", cr.freed_bytes, cr.duration_us);
  if (gcmon_get_collections(c, 0, 0, &cs, 0) != 0)
    return fail(c);
  for (size_t i = 0; i < cs.count; i++)
    printf("record %" PRIu64 " %s %" PRIu64 " %" PRId64 "\n",
           cs.records[i].number,
           gcmon_collection_cause_name(cs.records[i].cause),
           cs.records[i].pause_us, cs.records[i].freed_bytes);
  if (gcmon_get_watermarks(c, false, &ww, 0) != 0)
    return fail(c);
  printf("window %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", ww.values.from_seq,
         ww.values.to_seq, ww.values.pool[GCMON_POOL_GC].min_free);
  if (gcmon_subscribe_ex(c, &so, on_event, &v, &sub, 0) != 0)
    return fail(c);
  snprintf(rule.name, sizeof rule.name, "mmz");
  if (gcmon_add_alarm(c, &rule, &installed, 0) != 0)
    return fail(c);
  printf("alarm %" PRIu32 " %s\n", installed.id, installed.owner);
  if (gcmon_client_run(c, 5000) != 0)
    return fail(c);
  if (gcmon_list_alarms(c, &al, 0) != 0)
    return fail(c);
  for (size_t i = 0; i < al.count; i++)
    printf("listed %" PRIu32 " %d\n", al.alarms[i].rule.id,
           al.alarms[i].active ? 1 : 0);
  gcmon_client_close(c);
  return v.samples >= 3 && v.alarms >= 1 ? 0 : 1;
}
