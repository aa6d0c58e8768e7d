/* The `k230` source's view of the CanMV K230 kernel ABI, public so the agent
 * can log which ioctl numbering a board speaks and tests can answer the
 * same requests a board would.
 *
 * RT-Smart's misc device /dev/canmv_misc answers three requests we use, each
 * with a pointer argument:
 *
 *   n = 0  READ_HEAP        struct meminfo_t   kernel heap
 *   n = 1  READ_PAGE        struct meminfo_t   page allocator (user pages)
 *   n = 2  GET_MEMORY_SIZE  uint64_t           DDR size (gc.sys_total())
 *
 * CanMV releases numbered them two ways (canmv-k230/rtsmart
 * kernel/bsp/maix3/components/canmv_misc/misc.c, its history), and before
 * Sep 2024 the device was /dev/meminfo, answering 0x1024 (heap) and
 * 0x1024 + 1 (pages) with the same struct (kendryte/k230_canmv's modgc.c):
 *
 *   legacy  0x1024 + n               Sep 2024 - May 2025; GET_MEMORY_SIZE
 *                                    was 0x1024 + 6 from Oct to Dec 2024
 *                                    (also canmv-k230/micropython py/modgc.c
 *                                    of 2024-10-28), 0x1024 + 2 after
 *   iowr    _IOWR('M', n, void *)    since commit 8be1068 (2025-05-28)
 *
 * _IOWR is the generic Linux/musl encoding, dir << 30 | size << 16 |
 * type << 8 | nr (RT-Smart's kernel/rt-thread/include/libc/libc_ioctl.h),
 * with sizeof(void *) = 8 on the K230's riscv64; spelled out below so the
 * numbers do not depend on the build host's <sys/ioctl.h>.
 *
 * struct meminfo_t is { size_t total_size; size_t free_size; size_t
 * used_size; } in the kernel (misc.c above; user side canmv-k230/
 * k230_rtsmart_lib rtsmart_hal/components/canmv_misc/canmv_misc.h). Mind the
 * order: total, FREE, used, where gc.sys_heap() and gcmon_mem_info are
 * (total, used, free). size_t is 64-bit on riscv64 (LP64), hence the
 * fixed-width struct below: 24 bytes, no padding. */
#ifndef GCMON_SOURCE_K230_H
#define GCMON_SOURCE_K230_H

#include "source.h"

#include <stdint.h>

#define GCMON_K230_MISC_DEV_PATH  "/dev/canmv_misc"
#define GCMON_K230_MEMINFO_DEV_PATH "/dev/meminfo" /* before Sep 2024 */
#define GCMON_K230_MEDIA_MEM_PATH "/proc/media-mem"

#define GCMON_K230_READ_HEAP            0
#define GCMON_K230_READ_PAGE            1
#define GCMON_K230_GET_MEMORY_SIZE      2
#define GCMON_K230_GET_MEMORY_SIZE_2024 6 /* legacy numbering, late 2024 */

#define GCMON_K230_REQ_LEGACY(n) (0x1024ul + (unsigned long)(n))
#define GCMON_K230_REQ_IOWR(n)                                                 \
  ((3ul << 30) | (8ul << 16) | ((unsigned long)'M' << 8) | (unsigned long)(n))

/* The kernel's struct meminfo_t as a riscv64 kernel lays it out. */
typedef struct gcmon_k230_meminfo {
  uint64_t total_size;
  uint64_t free_size;
  uint64_t used_size;
} gcmon_k230_meminfo;

typedef enum {
  GCMON_K230_SCHEME_IOWR,   /* /dev/canmv_misc, _IOWR('M', n, void *) */
  GCMON_K230_SCHEME_LEGACY, /* /dev/canmv_misc, 0x1024 + n */
  GCMON_K230_SCHEME_MEMINFO /* /dev/meminfo, 0x1024 + n (before Sep 2024) */
} gcmon_k230_scheme;

/* The numbering the board answered at open, as text for logs
 * ("_IOWR('M', n, void *)", "0x1024 + n" or "/dev/meminfo 0x1024 + n");
 * NULL if src is not a k230 source. The scheme is also in src->device_id
 * ("k230/iowr", "k230/legacy", "k230/meminfo"). */
const char *gcmon_source_k230_scheme(const gcmon_source *src);

#endif
