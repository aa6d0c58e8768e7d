/* The shared snapshots (see snapshots.h). Figures are those of a sim
 * board: a 4 MiB gc heap, 32 MiB kernel heap, 214 MiB of user pages,
 * 256 MiB of MMZ, 512 MiB in all. */
#include "snapshots.h"

#include <stdio.h>
#include <string.h>

#define MIB (1024ull * 1024ull)

void snap_board(export_snapshot *s, const char *target) {
  memset(s, 0, sizeof *s);
  snprintf(s->target, sizeof s->target, "%s", target);
  s->ok = true;
  s->link_up = true;
  s->have_info = true;
  snprintf(s->info.daemon, sizeof s->info.daemon, "gcmond 0.1.0");
  snprintf(s->info.source, sizeof s->info.source, "sim");
  snprintf(s->info.device_id, sizeof s->info.device_id, "k230-sim-1");
  s->info.version = 1;
  s->info.run_id = 0xd9b2041f8820f1edull;
  s->info.min_interval_ms = 500;
  s->have_sample = true;
  s->sample.seq = 42;
  s->sample.uptime_us = 3970066414ull;
  s->sample.has_gc = true;
  s->sample.gc.mem_alloc = 619712;
  s->sample.gc.mem_free = 4 * (int64_t)MIB - 619712;
  s->sample.gc.threshold = 65536;
  s->sample.gc.enabled = true;
  s->sample.gc.collections = 17;
  s->sample.gc.largest_free = 3500000;
  s->sample.sys_total = 512 * MIB;
  s->sample.has_sys_heap = s->sample.has_sys_page = s->sample.has_sys_mmz =
      true;
  s->sample.sys_heap = (gcmon_mem_info){32 * MIB, 9652288, 32 * MIB - 9652288, 0};
  s->sample.sys_page =
      (gcmon_mem_info){214 * MIB, 41226240, 214 * MIB - 41226240, 0};
  s->sample.sys_mmz =
      (gcmon_mem_info){256 * MIB, 22544384, 256 * MIB - 22544384, 0};
  s->sample_age_s = 0.2;
  s->interval_ms = 500;
  s->link.bytes_in = 4920;
  s->link.bytes_out = 65;
  s->link.frames_in = 60;
  s->link.frames_out = 3;
  s->link.crc_errors = 2;
  s->link.frames_dropped = 3;
  s->link.undecodable = 1;
  s->link.bytes_discarded = 117;
  s->link.seq_gaps = 1;
  s->link.seq_missing = 4;
  s->link.connects = 3;
  s->link.disconnects = 2;
  s->probe_duration_s = -1;
}

void snap_down(export_snapshot *s, const char *target) {
  snap_board(s, target);
  s->ok = false;
  s->link_up = false;
  s->sample_age_s = 12.5;
  snprintf(s->error, sizeof s->error,
           "connect 127.0.0.1:7230: connection refused");
}

void snap_unreached(export_snapshot *s, const char *target) {
  memset(s, 0, sizeof *s);
  snprintf(s->target, sizeof s->target, "%s", target);
  snprintf(s->error, sizeof s->error, "connect 10.0.0.9:7230: timed out");
  s->probe_duration_s = -1;
}
