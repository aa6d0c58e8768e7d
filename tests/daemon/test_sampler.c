/* The sampler's schedule (sampler.h): late wake-ups do not slow the rate,
 * a stall skips the samples it missed instead of bursting them out. */
#include "gcmon_test.h"
#include "sampler.h"
#include "test_rand.h"

/* Wake-ups up to 9 ms late, for 1000 periods of 10 ms: every deadline is
 * the previous one plus 10, so 1000 samples take exactly 10 s. */
TEST(late_wakeups_keep_the_sampler_on_its_grid) {
  uint64_t due = 5000;
  test_rand rng;
  test_rand_seed(&rng, 7);
  for (int i = 0; i < 1000; i++) {
    uint64_t now = due + test_rand_range(&rng, 0, 9);
    uint64_t next = gcmon__sampler_next_due(due, now, 10);
    ASSERT_EQ_U64(due + 10, next);
    due = next;
  }
  ASSERT_EQ_U64(5000 + 10000, due);
}

/* Woken between one and two periods late: the next sample is due at
 * once (a wait of 0), then the grid continues. */
TEST(a_wakeup_one_period_late_takes_the_next_sample_at_once) {
  ASSERT_EQ_U64(110, gcmon__sampler_next_due(100, 115, 10));
  ASSERT_EQ_U64(110, gcmon__sampler_next_due(100, 110, 10));
  ASSERT_EQ_U64(110, gcmon__sampler_next_due(100, 119, 10));
}

/* A 35 ms stall at 10 ms: the samples due at 110 and 120 are skipped, the
 * one due at 130 is taken now (135), the next is due at 140. */
TEST(a_stall_skips_the_missed_samples_and_stays_on_the_grid) {
  uint64_t next = gcmon__sampler_next_due(100, 135, 10);
  ASSERT_EQ_U64(130, next);
  ASSERT_EQ_U64(140, gcmon__sampler_next_due(next, 135, 10));
  ASSERT_EQ_U64(1100, gcmon__sampler_next_due(100, 1100, 1000));
  ASSERT_EQ_U64(3100, gcmon__sampler_next_due(100, 3500, 1000));
}

#define GCMON_TESTS(X)                                                         \
  X(late_wakeups_keep_the_sampler_on_its_grid)                                 \
  X(a_wakeup_one_period_late_takes_the_next_sample_at_once)                    \
  X(a_stall_skips_the_missed_samples_and_stays_on_the_grid)
#include "gcmon_test_main.h"
