/* A fake CanMV K230 board for the `k230` source's tests, behind the same
 * ioctl and read seams the real source uses (daemon/sources/source.h): it
 * answers the misc device's requests in the numbering of one firmware
 * generation with byte-exact kernel structs, plays the MMZ driver's
 * /proc/media-mem read handler, and counts what the kernel would print on
 * the board's console (an unknown ioctl, an MMZ table dump). */
#ifndef GCMON_K230_FAKE_BOARD_H
#define GCMON_K230_FAKE_BOARD_H

#include "source_k230.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIB (1ull << 20)

typedef struct board {
  gcmon_k230_scheme scheme; /* MEMINFO: only 0x1024 and 0x1024 + 1 known */
  bool late_2024;      /* legacy: size at 0x1024 + 6, CPU_USAGE at + 2 */
  bool no_memory_size; /* driver without GET_MEMORY_SIZE */
  int unknown_errno;   /* what an unknown request fails with */
  uint64_t heap[3];    /* kernel order: total, free, used */
  uint64_t page[3];
  uint64_t ddr;
  unsigned long fail_req; /* this request fails with fail_errno */
  int fail_errno;
  unsigned long seen[16]; /* requests in order */
  int calls;
  /* The kernel console: "misc_ioctl unknown cmd" lines and MMZ dumps. */
  int console_unknown_cmd;
  int console_mmz_dumps;
  /* /proc/media-mem through the read seam. */
  const char *mmz_line;       /* what a 230-byte read returns */
  bool mmz_kernel_splits;     /* sys_read hands the driver a smaller count */
  unsigned long mmz_reads[8]; /* counts asked by the source, in order */
  int mmz_nreads;
} board;

void board_init(board *b, gcmon_k230_scheme scheme);
unsigned long board_req(const board *b, unsigned n);
int board_ioctl(int fd, unsigned long request, void *arg, void *ctx);
long board_read(int fd, void *buf, unsigned long n, void *ctx);

/* gcmon_source_open() of "k230" on this board: dev is the misc device path
 * (NULL: the default, absent here, so meminfo_dev is tried), mmz the
 * media-mem file (opened for real; its content comes from b->mmz_line when
 * that is set). */
int board_open(gcmon_source **src, board *b, const char *dev,
               const char *meminfo_dev, const char *mmz, char *err,
               size_t errlen);

#endif
