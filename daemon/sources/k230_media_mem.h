/* /proc/media-mem, the K230's MMZ (multimedia memory zone) usage, as the
 * `k230` source reads it.
 *
 * The K230 MMZ driver is closed (canmv-k230/mpp kernel/lib/libmmz.a,
 * media_mem.o). Its proc read handler (mmz_read_proc) answers a read of
 * exactly 230 bytes with one line, "total:%d,used:%d,remain=%d", in bytes
 * (written by mmz_info_to_buffer). A read of any other size prints the
 * whole MMZ table on the board's console and returns 0 bytes. CanMV's own
 * gc.sys_mmz() therefore reads 230 bytes once and sscanf()s that line
 * (canmv-k230/micropython py/modgc.c, "read data size 230 will recv the
 * data we wanted"; canmv-k230/k230_rtsmart_lib rtsmart_hal/components/
 * canmv_misc/canmv_misc.c).
 *
 * RT-Smart's sys_read may also hand the driver a smaller count than asked
 * when kernel memory is short, so even a 230-byte read can come back empty
 * or short. The rule here: one read(fd, buf, 230) per sample, never another
 * read of any size (a second read for "the rest" is exactly what dumps the
 * table); whatever did not come back as the whole line is a parse error for
 * that sample, counted by the agent like any failed reading. */
#ifndef GCMON_K230_MEDIA_MEM_H
#define GCMON_K230_MEDIA_MEM_H

#include "gcmon/sample.h"
#include "source.h"

#include <stddef.h>

#define GCMON_K230_MEDIA_MEM_READ 230

/* Parse "total:N,used:N,remain=N" (bytes) from buf; GCMON_EPARSE if it is
 * not there or the figures contradict each other. */
int gcmon__k230_parse_media_mem(const char *buf, size_t len,
                                gcmon_mem_info *out);

/* Open path, read it once with exactly GCMON_K230_MEDIA_MEM_READ bytes
 * through read_fn (NULL: read(2)), and parse. GCMON_EIO if it cannot be
 * opened or read, GCMON_EPARSE if the answer is short or malformed; why
 * gets the reason. No allocation. */
int gcmon__k230_read_media_mem(const char *path, gcmon_read_fn read_fn,
                               void *ctx, gcmon_mem_info *out, char *why,
                               size_t whylen);

#endif
