/* Names of the memory-insight enums (gcmon/insight.h), as docs/protocol.md
 * and the CLI spell them. Shared by the daemon (log lines, Status
 * messages) and libgcmon. */
#include "gcmon/insight.h"

const char *gcmon_pool_name(gcmon_pool pool) {
  switch (pool) {
  case GCMON_POOL_GC:
    return "gc";
  case GCMON_POOL_SYS_HEAP:
    return "sys_heap";
  case GCMON_POOL_SYS_PAGE:
    return "sys_page";
  case GCMON_POOL_SYS_MMZ:
    return "sys_mmz";
  case GCMON_POOL_COUNT:
    break;
  }
  return "?";
}

const char *gcmon_alarm_metric_name(gcmon_alarm_metric metric) {
  switch (metric) {
  case GCMON_ALARM_FREE:
    return "free";
  case GCMON_ALARM_USED:
    return "used";
  case GCMON_ALARM_LARGEST_FREE:
    return "largest_free";
  case GCMON_ALARM_FRAGMENTATION:
    return "fragmentation";
  }
  return "?";
}

const char *gcmon_alarm_compare_name(gcmon_alarm_compare compare) {
  switch (compare) {
  case GCMON_ALARM_BELOW:
    return "below";
  case GCMON_ALARM_ABOVE:
    return "above";
  }
  return "?";
}

const char *gcmon_collection_cause_name(gcmon_collection_cause cause) {
  switch (cause) {
  case GCMON_COLLECTION_UNKNOWN:
    return "unknown";
  case GCMON_COLLECTION_REMOTE:
    return "remote";
  case GCMON_COLLECTION_PROGRAM:
    return "program";
  case GCMON_COLLECTION_AUTOMATIC:
    return "automatic";
  }
  return "?";
}
