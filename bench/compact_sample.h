/* The compact sample encodings docs/performance.md proposes for slow
 * serial links, implemented only far enough to count their bytes exactly
 * on real captured samples. They are NOT on the wire: gcmond and libgcmon
 * speak only gcmon.proto.
 *
 * Both stay protobuf (any client generated from a future gcmon.proto could
 * read them) and both travel as a new Event body beside `sample`:
 *
 *   flat    one message with every counter as a top-level field (no nested
 *           GcInfo/MemInfo, so no inner tags and lengths), MemInfo.free
 *           left out because it is total - used (true of every source
 *           today), zero fields omitted as proto3 does.
 *   delta   each counter as the zigzag difference from the previous sample
 *           sent on the same subscription, unchanged counters omitted,
 *           seq absolute (so a receiver that lost a frame sees the gap and
 *           resynchronises with from_seq); a full `sample` event every
 *           BENCH_DELTA_KEY_EVERY events and after any gap.
 *
 * Field order in the value array: seq, uptime_us, the six GcInfo fields,
 * sys_total, then (total, used, free) of sys_heap, sys_page, sys_mmz.
 */
#ifndef GCMON_BENCH_COMPACT_SAMPLE_H
#define GCMON_BENCH_COMPACT_SAMPLE_H

#include "gcmon.pb.h"

#include <stddef.h>
#include <stdint.h>

#define BENCH_SAMPLE_VALUES   18
#define BENCH_DELTA_KEY_EVERY 64

void bench_sample_values(const gcmon_v1_Sample *s,
                         uint64_t v[BENCH_SAMPLE_VALUES]);

/* Packet{event{subscription, flat}}: payload bytes written, 0 if cap is too
 * small. */
size_t bench_flat_event(uint32_t subscription,
                        const uint64_t v[BENCH_SAMPLE_VALUES], uint8_t *out,
                        size_t cap);

/* Packet{event{subscription, delta against prev}}. */
size_t bench_delta_event(uint32_t subscription,
                         const uint64_t v[BENCH_SAMPLE_VALUES],
                         const uint64_t prev[BENCH_SAMPLE_VALUES], uint8_t *out,
                         size_t cap);

#endif
