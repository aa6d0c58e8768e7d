/* A minimal test harness: TEST(name) functions, ASSERT_* macros that report
 * file:line and the values, and a main() that runs every test listed in a
 * GCMON_TESTS(X) table (or only those named on the command line).
 *
 *     TEST(frame_roundtrip) { ASSERT_EQ(3, f()); }
 *     #define GCMON_TESTS(X) X(frame_roundtrip)
 *     #include "gcmon_test_main.h"
 *
 * A failed assertion ends the test (longjmp back to the runner); the binary
 * exits non-zero if any test failed, which is what ctest looks at. */
#ifndef GCMON_TEST_H
#define GCMON_TEST_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

extern jmp_buf gcmon_test_jmp;
extern int gcmon_test_failed;

#define TEST(name) static void name(void)

#define GCMON_TEST_FAIL(...)                                                   \
  do {                                                                         \
    fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
    fprintf(stderr, __VA_ARGS__);                                              \
    fputc('\n', stderr);                                                       \
    longjmp(gcmon_test_jmp, 1);                                                \
  } while (0)

#define ASSERT_TRUE(c)                                                         \
  do {                                                                         \
    if (!(c))                                                                  \
      GCMON_TEST_FAIL("assertion failed: %s", #c);                             \
  } while (0)

#define ASSERT_EQ(want, got)                                                   \
  do {                                                                         \
    long long w_ = (long long)(want), g_ = (long long)(got);                   \
    if (w_ != g_)                                                              \
      GCMON_TEST_FAIL("%s == %s: want %lld, got %lld", #want, #got, w_, g_);   \
  } while (0)

#define ASSERT_EQ_U64(want, got)                                               \
  do {                                                                         \
    uint64_t w_ = (uint64_t)(want), g_ = (uint64_t)(got);                      \
    if (w_ != g_)                                                              \
      GCMON_TEST_FAIL("%s == %s: want %" PRIu64 ", got %" PRIu64, #want, #got, \
                      w_, g_);                                                 \
  } while (0)

#define ASSERT_STREQ(want, got)                                                \
  do {                                                                         \
    const char *w_ = (want), *g_ = (got);                                      \
    if (strcmp(w_, g_) != 0)                                                   \
      GCMON_TEST_FAIL("%s == %s: want \"%s\", got \"%s\"", #want, #got, w_,    \
                      g_);                                                     \
  } while (0)

#define ASSERT_MEMEQ(want, got, n)                                             \
  do {                                                                         \
    if (memcmp((want), (got), (n)) != 0)                                       \
      GCMON_TEST_FAIL("%s and %s differ in their %zu bytes", #want, #got,      \
                      (size_t)(n));                                            \
  } while (0)

#endif
