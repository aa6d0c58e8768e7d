/* The `k230` source against a fake CanMV board: ioctl replies for both
 * request numberings (the seam in source.h), byte-exact kernel structs,
 * /proc/media-mem fixtures in both formats, and every way a board or file
 * can fail at open and at read. */
#define _POSIX_C_SOURCE 200809L
#include "gcmon_test.h"
#include "k230_media_mem.h"
#include "k230_fake_board.h"
#include "source_k230.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FIXTURE(name) GCMON_FIXTURES "/" name
#define DEVICE        FIXTURE("canmv_misc")

static int open_k230(gcmon_source **src, board *b, const char *dev,
                     const char *mmz, char *err, size_t errlen) {
  return board_open(src, b, dev, NULL, mmz, err, errlen);
}

static gcmon_source *must_open(board *b, const char *mmz) {
  gcmon_source *src = NULL;
  char err[256];

  if (open_k230(&src, b, DEVICE, mmz, err, sizeof err) != 0)
    GCMON_TEST_FAIL("open: %s", err);
  return src;
}

static gcmon_sample must_read(gcmon_source *src) {
  gcmon_sample s;

  memset(&s, 0xa5, sizeof s);
  if (src->ops->read(src, 5, &s) != 0)
    GCMON_TEST_FAIL("read: %s", src->error);
  return s;
}

TEST(request_numbers_are_those_of_both_canmv_generations) {
  ASSERT_EQ_U64(0xC0084D00ul, GCMON_K230_REQ_IOWR(GCMON_K230_READ_HEAP));
  ASSERT_EQ_U64(0xC0084D01ul, GCMON_K230_REQ_IOWR(GCMON_K230_READ_PAGE));
  ASSERT_EQ_U64(0xC0084D02ul, GCMON_K230_REQ_IOWR(GCMON_K230_GET_MEMORY_SIZE));
  ASSERT_EQ_U64(0x1024, GCMON_K230_REQ_LEGACY(GCMON_K230_READ_HEAP));
  ASSERT_EQ_U64(0x1025, GCMON_K230_REQ_LEGACY(GCMON_K230_READ_PAGE));
  ASSERT_EQ_U64(0x1026, GCMON_K230_REQ_LEGACY(GCMON_K230_GET_MEMORY_SIZE));
  ASSERT_EQ(24, sizeof(gcmon_k230_meminfo));
  ASSERT_EQ(0, offsetof(gcmon_k230_meminfo, total_size));
  ASSERT_EQ(8, offsetof(gcmon_k230_meminfo, free_size));
  ASSERT_EQ(16, offsetof(gcmon_k230_meminfo, used_size));
}

TEST(iowr_board_gives_heap_pages_ddr_size_and_mmz) {
  board b;
  gcmon_source *src;
  gcmon_sample s;

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  src = must_open(&b, FIXTURE("media_mem_short.txt"));
  ASSERT_STREQ("k230", src->ops->name);
  ASSERT_STREQ("k230/iowr", src->device_id);
  ASSERT_STREQ("_IOWR('M', n, void *)", gcmon_source_k230_scheme(src));
  ASSERT_EQ_U64(GCMON_K230_REQ_IOWR(0), b.seen[0]); /* asked the new way */
  s = must_read(src);
  ASSERT_EQ_U64(5, s.uptime_us);
  ASSERT_EQ_U64(512 * MIB, s.sys_total);
  ASSERT_TRUE(s.has_sys_heap && s.has_sys_page && s.has_sys_mmz);
  ASSERT_EQ_U64(32 * MIB, s.sys_heap.total);
  ASSERT_EQ_U64(12 * MIB, s.sys_heap.used);
  ASSERT_EQ_U64(20 * MIB, s.sys_heap.free);
  ASSERT_EQ_U64(214 * MIB, s.sys_page.total);
  ASSERT_EQ_U64(64 * MIB, s.sys_page.used);
  ASSERT_EQ_U64(150 * MIB, s.sys_page.free);
  ASSERT_EQ_U64(268435456, s.sys_mmz.total);
  ASSERT_EQ_U64(75497472, s.sys_mmz.used);
  ASSERT_EQ_U64(192937984, s.sys_mmz.free);
  ASSERT_TRUE(!s.has_gc);
  gcmon_source_close(src);
}

TEST(kernel_order_total_free_used_lands_as_total_used_free) {
  board b;
  gcmon_source *src;
  gcmon_sample s;

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  b.heap[0] = 3000; /* total */
  b.heap[1] = 1000; /* free */
  b.heap[2] = 2000; /* used */
  src = must_open(&b, FIXTURE("media_mem_short.txt"));
  s = must_read(src);
  ASSERT_EQ_U64(3000, s.sys_heap.total);
  ASSERT_EQ_U64(2000, s.sys_heap.used);
  ASSERT_EQ_U64(1000, s.sys_heap.free);
  gcmon_source_close(src);
}

TEST(legacy_board_is_found_by_falling_back_to_0x1024) {
  static const int unknown[] = {EPERM, ENOTTY, EINVAL};

  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    board b;
    gcmon_source *src;
    gcmon_sample s;

    board_init(&b, GCMON_K230_SCHEME_LEGACY);
    b.unknown_errno = unknown[i];
    src = must_open(&b, FIXTURE("media_mem_short.txt"));
    ASSERT_STREQ("k230/legacy", src->device_id);
    ASSERT_STREQ("0x1024 + n", gcmon_source_k230_scheme(src));
    ASSERT_EQ_U64(GCMON_K230_REQ_IOWR(0), b.seen[0]);
    ASSERT_EQ_U64(0x1024, b.seen[1]);
    s = must_read(src);
    ASSERT_EQ_U64(12 * MIB, s.sys_heap.used);
    ASSERT_EQ_U64(64 * MIB, s.sys_page.used);
    ASSERT_EQ_U64(512 * MIB, s.sys_total);
    gcmon_source_close(src);
  }
}

TEST(late_2024_legacy_board_gives_ddr_size_at_request_6) {
  board b;
  gcmon_source *src;

  board_init(&b, GCMON_K230_SCHEME_LEGACY);
  b.late_2024 = true;
  src = must_open(&b, FIXTURE("media_mem_short.txt"));
  ASSERT_EQ_U64(512 * MIB, must_read(src).sys_total);
  gcmon_source_close(src);
}

TEST(board_without_memory_size_reports_total_unknown) {
  board b;
  gcmon_source *src;
  gcmon_sample s;

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  b.no_memory_size = true;
  src = must_open(&b, FIXTURE("media_mem_short.txt"));
  s = must_read(src);
  ASSERT_EQ_U64(0, s.sys_total);
  ASSERT_EQ_U64(12 * MIB, s.sys_heap.used);
  gcmon_source_close(src);
}

TEST(gc_controls_are_absent_on_k230) {
  board b;
  gcmon_source *src;

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  src = must_open(&b, FIXTURE("media_mem_short.txt"));
  ASSERT_TRUE(src->ops->collect == NULL);
  ASSERT_TRUE(src->ops->set_threshold == NULL);
  ASSERT_TRUE(src->ops->set_enabled == NULL);
  ASSERT_TRUE(gcmon_source_k230_scheme(NULL) == NULL);
  gcmon_source_close(src);
}

TEST(missing_device_fails_open_naming_the_path) {
  board b;
  gcmon_source *src = (gcmon_source *)&b;
  char err[256];

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  ASSERT_EQ(GCMON_ENODEV,
            open_k230(&src, &b, "/dev/no_canmv_misc_here",
                      FIXTURE("media_mem_short.txt"), err, sizeof err));
  ASSERT_TRUE(src == NULL);
  ASSERT_TRUE(strstr(err, "/dev/no_canmv_misc_here") != NULL);
  ASSERT_EQ(0, b.calls);
}

TEST(device_answering_neither_numbering_fails_open) {
  board b;
  gcmon_source *src = NULL;
  char err[256];

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  b.fail_req = GCMON_K230_REQ_IOWR(0);
  b.fail_errno = ENOTTY; /* and 0x1024 is unknown too */
  ASSERT_EQ(GCMON_ENODEV, open_k230(&src, &b, DEVICE, NULL, err, sizeof err));
  ASSERT_TRUE(src == NULL);
  ASSERT_TRUE(strstr(err, DEVICE) != NULL);
  ASSERT_TRUE(strstr(err, "0x1024") != NULL);
}

TEST(device_error_at_open_fails_with_the_cause) {
  board b;
  gcmon_source *src = NULL;
  char err[256];

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  b.fail_req = GCMON_K230_REQ_IOWR(GCMON_K230_READ_PAGE);
  b.fail_errno = EIO;
  ASSERT_EQ(GCMON_EIO, open_k230(&src, &b, DEVICE, NULL, err, sizeof err));
  ASSERT_TRUE(src == NULL);
  ASSERT_TRUE(strstr(err, "READ_PAGE") != NULL);
  ASSERT_TRUE(strstr(err, strerror(EIO)) != NULL);
}

TEST(implausible_reply_at_open_fails_open) {
  board b;
  gcmon_source *src = NULL;
  char err[256];

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  b.heap[2] = b.heap[0] + 1; /* used > total */
  ASSERT_EQ(GCMON_EPARSE, open_k230(&src, &b, DEVICE, NULL, err, sizeof err));
  ASSERT_TRUE(src == NULL);
  ASSERT_TRUE(strstr(err, "READ_HEAP") != NULL);
}

TEST(ioctl_failure_at_read_is_an_io_error_with_a_message) {
  board b;
  gcmon_source *src;
  gcmon_sample s;

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  src = must_open(&b, FIXTURE("media_mem_short.txt"));
  b.fail_req = GCMON_K230_REQ_IOWR(GCMON_K230_READ_PAGE);
  b.fail_errno = EIO;
  ASSERT_EQ(GCMON_EIO, src->ops->read(src, 1, &s));
  ASSERT_TRUE(strstr(src->error, "READ_PAGE") != NULL);
  b.fail_errno = 0;
  ASSERT_EQ_U64(64 * MIB, must_read(src).sys_page.used); /* recovers */
  gcmon_source_close(src);
}

TEST(implausible_reply_at_read_is_a_parse_error) {
  board b;
  gcmon_source *src;
  gcmon_sample s;

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  src = must_open(&b, FIXTURE("media_mem_short.txt"));
  b.page[1] = b.page[0] * 2; /* free > total */
  ASSERT_EQ(GCMON_EPARSE, src->ops->read(src, 1, &s));
  ASSERT_TRUE(strstr(src->error, "READ_PAGE") != NULL);
  gcmon_source_close(src);
}

TEST(malformed_media_mem_is_a_parse_error) {
  board b;
  gcmon_source *src;
  gcmon_sample s;

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  src = must_open(&b, FIXTURE("media_mem_malformed.txt"));
  ASSERT_EQ(GCMON_EPARSE, src->ops->read(src, 1, &s));
  ASSERT_EQ(0, strncmp(src->error, "k230: media-mem: ", 17));
  gcmon_source_close(src);
}

TEST(missing_media_mem_leaves_mmz_absent) {
  board b;
  gcmon_source *src;
  gcmon_sample s;

  board_init(&b, GCMON_K230_SCHEME_IOWR);
  src = must_open(&b, FIXTURE("no_media_mem"));
  s = must_read(src);
  ASSERT_TRUE(!s.has_sys_mmz);
  ASSERT_TRUE(s.has_sys_heap && s.has_sys_page);
  gcmon_source_close(src);
}

TEST(media_mem_vanishing_after_open_is_an_io_error) {
  char path[] = "/tmp/gcmon-media-mem-XXXXXX";
  int fd = mkstemp(path);
  board b;
  gcmon_source *src;
  gcmon_sample s;

  ASSERT_TRUE(fd >= 0);
  ASSERT_EQ(13, write(fd, "total:8,used:", 13));
  ASSERT_EQ(10, write(fd, "3,remain=5", 10));
  close(fd);
  board_init(&b, GCMON_K230_SCHEME_IOWR);
  src = must_open(&b, path);
  s = must_read(src);
  ASSERT_EQ_U64(8, s.sys_mmz.total);
  ASSERT_EQ_U64(3, s.sys_mmz.used);
  ASSERT_EQ_U64(5, s.sys_mmz.free);
  unlink(path);
  ASSERT_EQ(GCMON_EIO, src->ops->read(src, 1, &s));
  ASSERT_TRUE(strstr(src->error, "media-mem") != NULL);
  gcmon_source_close(src);
}

TEST(media_mem_parser_takes_the_short_line_and_nothing_else) {
  static const struct {
    const char *text;
    int rc;
    uint64_t total, used, free;
  } cases[] = {
      {"total:100,used:40,remain=60", 0, 100, 40, 60},
      {"total:100,used:40,remain=60\n", 0, 100, 40, 60},
      {"\ntotal:0,used:0,remain=0", 0, 0, 0, 0},
      {"---MMZ_USE_INFO:\n total size=4KB(0MB),used=1KB(0MB + 1KB),"
       "remain=3KB(0MB + 3KB),zone_number=1,block_number=1\n",
       GCMON_EPARSE, 0, 0, 0},
      {"total:100,used:40,remain=60x", GCMON_EPARSE, 0, 0, 0},
      {"total:100,used:140,remain=0", GCMON_EPARSE, 0, 0, 0},
      {"total:100,used:-1,remain=101", GCMON_EPARSE, 0, 0, 0},
      {"total:100,used:40", GCMON_EPARSE, 0, 0, 0},
      {"total:99999999999999999999,used:0,remain=0", GCMON_EPARSE, 0, 0, 0},
      {" total size=4KB(0MB),used=1MB,remain=3KB", GCMON_EPARSE, 0, 0, 0},
      {"", GCMON_EPARSE, 0, 0, 0},
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    gcmon_mem_info m = {7, 7, 7, 7};
    int rc =
        gcmon__k230_parse_media_mem(cases[i].text, strlen(cases[i].text), &m);
    if (rc != cases[i].rc)
      GCMON_TEST_FAIL("case %zu \"%s\": rc %d", i, cases[i].text, rc);
    if (rc == 0) {
      ASSERT_EQ_U64(cases[i].total, m.total);
      ASSERT_EQ_U64(cases[i].used, m.used);
      ASSERT_EQ_U64(cases[i].free, m.free);
    }
  }
}

#define GCMON_TESTS(X)                                                         \
  X(request_numbers_are_those_of_both_canmv_generations)                       \
  X(iowr_board_gives_heap_pages_ddr_size_and_mmz)                              \
  X(kernel_order_total_free_used_lands_as_total_used_free)                     \
  X(legacy_board_is_found_by_falling_back_to_0x1024)                           \
  X(late_2024_legacy_board_gives_ddr_size_at_request_6)                        \
  X(board_without_memory_size_reports_total_unknown)                           \
  X(gc_controls_are_absent_on_k230)                                            \
  X(missing_device_fails_open_naming_the_path)                                 \
  X(device_answering_neither_numbering_fails_open)                             \
  X(device_error_at_open_fails_with_the_cause)                                 \
  X(implausible_reply_at_open_fails_open)                                      \
  X(ioctl_failure_at_read_is_an_io_error_with_a_message)                       \
  X(implausible_reply_at_read_is_a_parse_error)                                \
  X(malformed_media_mem_is_a_parse_error)                                      \
  X(missing_media_mem_leaves_mmz_absent)                                       \
  X(media_mem_vanishing_after_open_is_an_io_error)                             \
  X(media_mem_parser_takes_the_short_line_and_nothing_else)
#include "gcmon_test_main.h"
