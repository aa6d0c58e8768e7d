/* Memory insight for the exporter: what one target's stream brings besides
 * samples, folded into its cache entry (export_cache.c calls this under
 * its lock): the watermarks of the latest sample's interval, the board's
 * alarm rules with their raised state, and a cumulative histogram of
 * collection pauses (gcmon_gc_pause_seconds). */
#include "export.h"

#include <string.h>

static void count_pause(export_insight *ins, uint64_t us) {
  static const uint64_t bounds[EXPORT_PAUSE_BUCKETS] = EXPORT_PAUSE_BOUNDS_US;
  ins->pause_count++;
  ins->pause_sum_us += us;
  for (size_t i = 0; i < EXPORT_PAUSE_BUCKETS; i++)
    if (us <= bounds[i])
      ins->pause_le[i]++;
}

void export_insight_apply(export_insight *ins, const export_update *u) {
  if (u->sample) {
    ins->have_watermarks = u->watermarks != NULL;
    if (u->watermarks)
      ins->watermarks = *u->watermarks;
  }
  if (u->collection && u->collection->pause_us > 0)
    count_pause(ins, u->collection->pause_us);
  if (u->alarms) {
    ins->alarms = *u->alarms;
    ins->have_alarms = true;
  }
  if (u->alarm)
    for (size_t i = 0; i < ins->alarms.count; i++)
      if (ins->alarms.alarms[i].rule.id == u->alarm->alarm)
        ins->alarms.alarms[i].active = u->alarm->raised;
}
