/* Snapshots the renderer tests and the promtool check share: a board as
 * gcmond's sim reports it, and the ways a target can be less than that. */
#ifndef GCMON_TEST_EXPORT_SNAPSHOTS_H
#define GCMON_TEST_EXPORT_SNAPSHOTS_H

#include "export.h"

/* A connected board with a fresh sample: every group present. */
void snap_board(export_snapshot *s, const char *target);
/* Connected once, now unreachable: stale sample, reason set. */
void snap_down(export_snapshot *s, const char *target);
/* Never reached: no hello, no sample. */
void snap_unreached(export_snapshot *s, const char *target);

#endif
