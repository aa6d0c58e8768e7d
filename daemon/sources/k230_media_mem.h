/* /proc/media-mem, the K230's MMZ (multimedia memory zone) usage, as the
 * `k230` source reads it.
 *
 * The K230 MMZ driver is closed (canmv-k230/mpp kernel/lib/libmmz.a,
 * media_mem.o); its object code and strings show two formats:
 *
 *  short  "total:%d,used:%d,remain=%d" in bytes. The proc read handler
 *         (mmz_read_proc) writes this line, via mmz_info_to_buffer, only when
 *         the read asks for exactly 230 bytes; any other size prints the
 *         long table on the console and returns nothing. CanMV's gc.sys_mmz()
 *         therefore reads 230 bytes in one call and sscanf()s this line
 *         (canmv-k230/micropython py/modgc.c; canmv-k230/k230_rtsmart_lib
 *         rtsmart_hal/components/canmv_misc/canmv_misc.c). Bytes: the sums
 *         are of the same zone and block sizes the table shows shifted right
 *         by 10 as KB; CanMV's docs also say bytes.
 *  long   the HiSilicon-style table ("+---ZONE: ...", "|-MMB: ...") ending in
 *         "---MMZ_USE_INFO:\n total size=%dKB(%dMB),used=%dKB(%dMB +
 *         %dKB),remain=%dKB(%dMB + %dKB),zone_number=%d,block_number=%d",
 *         in KB: what the same driver prints on the console, and what MMZ
 *         drivers of this lineage put in /proc/media-mem on Linux.
 *
 * So the reader asks for exactly 230 bytes first, and reads the rest of the
 * file only when that was not the short line. */
#ifndef GCMON_K230_MEDIA_MEM_H
#define GCMON_K230_MEDIA_MEM_H

#include "gcmon/sample.h"

#include <stddef.h>

#define GCMON_K230_MEDIA_MEM_READ 230

/* Parse either format from buf; GCMON_EPARSE if neither is there or the
 * figures contradict each other. */
int gcmon__k230_parse_media_mem(const char *buf, size_t len,
                                gcmon_mem_info *out);

/* Open, read (230 bytes first) and parse path. GCMON_EIO if it cannot be
 * read, GCMON_EPARSE if malformed; why gets the reason. No allocation. */
int gcmon__k230_read_media_mem(const char *path, gcmon_mem_info *out, char *why,
                               size_t whylen);

#endif
