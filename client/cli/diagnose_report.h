/* gcmon diagnose, the output side: one-line summaries of each verdict,
 * the report through a writer (text, JSON), and the HTML report. */
#ifndef GCMON_DIAGNOSE_REPORT_H
#define GCMON_DIAGNOSE_REPORT_H

#include "diagnose.h"
#include "writer.h"

#include <stdio.h>

enum {
  DG_CHECK_LEAK = 0,
  DG_CHECK_FRAG,
  DG_CHECK_SPIKES,
  DG_CHECK_PAUSES,
  DG_CHECKS
};

/* "gc heap", "sys_heap (kernel heap)", ... */
extern const char *const dg_pool_labels[DG_POOLS];

/* "leak", "fragmentation", "spikes", "pauses" */
extern const char *const dg_check_names[DG_CHECKS];

/* The state of one check, DG_UNKNOWN for pauses outside the gc heap. */
dg_state dg_check_state(const dg_verdict *v, int pool, int check);

/* One line for people: "LEAK +1.41 MiB/min (99.9% >= 1.20 MiB/min) ...". */
void dg_summary(const dg_verdict *v, int pool, int check, char *out,
                size_t len);

/* The report as one record; detail adds every number (JSON). */
void dg_emit_report(writer *w, const dg_report *r, const char *input,
                    bool detail);

/* The self-contained HTML report (inline SVG charts, no script). 0 or
 * GCMON_EIO. */
int dg_write_html(FILE *f, const dg_model *m, const dg_report *r,
                  const char *input);

#endif
