/* Watermarks: the extremes of every pool over a window of sampler ticks
 * (lowest free, highest used, lowest largest free block).
 *
 * A window is a plain value: start it empty, fold each tick's sample into
 * it, merge two windows. The agent keeps one daemon-wide window (what
 * get_watermarks answers) and each subscription that asked builds one per
 * delivered sample (stream.c). Folding is O(pools): it runs on every
 * sampler tick. */
#ifndef GCMON_WATERMARKS_H
#define GCMON_WATERMARKS_H

#include "gcmon.pb.h"
#include "gcmon/insight.h"

/* An empty window: no tick covered, every pool absent. */
void gcmon__wm_clear(gcmon_watermarks *w);

/* Extend w by one series sample (s->seq must follow w's last tick). */
void gcmon__wm_fold(gcmon_watermarks *w, const gcmon_sample *s);

/* Extend w by the ticks other covers (other precedes or follows w). */
void gcmon__wm_merge(gcmon_watermarks *w, const gcmon_watermarks *other);

void gcmon__wm_to_pb(const gcmon_watermarks *w, gcmon_v1_Watermarks *out);

#endif
