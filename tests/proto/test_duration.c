/* The one duration syntax of gcmon and gcmond (proto/gcmon_duration.c):
 * a bare number is milliseconds; ms, s and m are units; fractions work;
 * zero, overflow, a day and more, and anything else are refused. */
#include "gcmon/error.h"
#include "gcmon_duration.h"
#include "gcmon_test.h"

static uint32_t ms_of(const char *s) {
  uint32_t v = 0xdeadbeef;
  ASSERT_EQ(0, gcmon_parse_duration_ms(s, &v));
  return v;
}

static void refused(const char *s) {
  uint32_t v = 7;
  ASSERT_EQ(GCMON_EINVAL, gcmon_parse_duration_ms(s, &v));
  ASSERT_EQ(7, v); /* untouched */
}

TEST(bare_number_is_milliseconds) {
  ASSERT_EQ(250, ms_of("250"));
  ASSERT_EQ(1, ms_of("1"));
  ASSERT_EQ(1000, ms_of("1000"));
}

TEST(units_ms_s_m_with_fractions) {
  ASSERT_EQ(250, ms_of("250ms"));
  ASSERT_EQ(1000, ms_of("1s"));
  ASSERT_EQ(1500, ms_of("1.5s"));
  ASSERT_EQ(250, ms_of("0.25s"));
  ASSERT_EQ(300000, ms_of("5m"));
  ASSERT_EQ(90000, ms_of("1.5m"));
  ASSERT_EQ(2, ms_of("2.9")); /* a fraction of a ms is dropped */
  ASSERT_EQ(86400000, ms_of("1440m"));
}

TEST(zero_too_long_and_malformed_are_refused) {
  refused("0");
  refused("0s");
  refused("0.4");  /* truncates to 0 ms */
  refused("1441m"); /* over a day */
  refused("86400001");
  refused("99999999999999999999");
  refused("");
  refused("s");
  refused("-1s");
  refused("1h");
  refused("1 s");
  refused("1S");
  refused(".");
  refused(NULL);
}

#define GCMON_TESTS(X)                                                         \
  X(bare_number_is_milliseconds)                                               \
  X(units_ms_s_m_with_fractions)                                               \
  X(zero_too_long_and_malformed_are_refused)
#include "gcmon_test_main.h"
