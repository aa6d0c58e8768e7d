/* The gc_collect() wrap (daemon/micropython/gc_hook.h) linked as firmware
 * links it, with -Wl,--wrap=gc_collect, against a pretend MicroPython
 * whose gc_collect() is defined in one object and called from others
 * (gc_hook_fake.h): the program's and the allocator's collections are
 * told apart by their call site, timed, and kept in a bounded ring that
 * counts what it drops; two threads may collect at once. The hook is one
 * static instance that the tests share (each arms it as it needs). */
#define _POSIX_C_SOURCE 200809L
#include "gc_hook.h"
#include "gc_hook_fake.h"
#include "gcmon_test.h"

#include <pthread.h>
#include <time.h>

#define PAUSE_US 2000u

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void program_collect(void *arg) {
  (void)arg;
  fake_py_gc_collect();
}

/* Calibrated and recording, whichever tests ran before. */
static void ready(void) {
  if (!gcmon_mp_gc_hook_calibrated())
    ASSERT_TRUE(gcmon_mp_gc_hook_calibrate(program_collect, NULL));
  ASSERT_TRUE(gcmon_mp_gc_hook_arm(fake_gc_used));
}

static unsigned take_all(gcmon_mp_collection *out, unsigned max,
                         uint64_t *lost) {
  return gcmon_mp_gc_hook_take(out, max, lost);
}

TEST(nothing_is_recorded_before_calibration) {
  gcmon_mp_collection got[4];
  uint64_t lost, before = fake_gc_collections();

  ASSERT_TRUE(!gcmon_mp_gc_hook_calibrated());
  ASSERT_TRUE(!gcmon_mp_gc_hook_arm(fake_gc_used));
  fake_py_gc_collect();
  ASSERT_EQ_U64(before + 1, fake_gc_collections()); /* the real one ran */
  ASSERT_EQ(0, take_all(got, 4, &lost));
  ASSERT_EQ_U64(0, lost);
}

TEST(calibration_finds_the_program_call_site_with_one_collection) {
  uint64_t before = fake_gc_collections();

  ASSERT_TRUE(gcmon_mp_gc_hook_calibrate(program_collect, NULL));
  ASSERT_TRUE(gcmon_mp_gc_hook_calibrated());
  ASSERT_EQ_U64(before + 1, fake_gc_collections());
  ASSERT_TRUE(gcmon_mp_gc_hook_arm(fake_gc_used));
}

TEST(program_and_automatic_collections_are_told_apart_and_timed) {
  gcmon_mp_collection got[8];
  uint64_t lost, t0, t1, t2;

  ready();
  fake_gc_set_pause_us(PAUSE_US);
  fake_gc_set_used(100000);
  t0 = now_us();
  fake_py_gc_collect(); /* gc.collect() */
  t1 = now_us();
  fake_gc_alloc_full(30000); /* 50000 -> 25000 + 30000 */
  t2 = now_us();
  fake_gc_collect_in_same_object(); /* out of the wrap's sight */

  ASSERT_EQ(2, take_all(got, 8, &lost));
  ASSERT_EQ_U64(0, lost);
  ASSERT_TRUE(got[0].by_program);
  ASSERT_EQ_U64(100000, got[0].used_before);
  ASSERT_EQ_U64(50000, got[0].used_after);
  ASSERT_TRUE(got[0].start_mono_us >= t0 && got[0].start_mono_us < t1);
  ASSERT_TRUE(got[0].pause_us >= PAUSE_US);
  ASSERT_TRUE(got[0].pause_us <= t1 - t0);
  ASSERT_TRUE(!got[1].by_program);
  ASSERT_EQ_U64(50000, got[1].used_before);
  ASSERT_EQ_U64(25000, got[1].used_after);
  ASSERT_TRUE(got[1].start_mono_us >= t1 && got[1].start_mono_us < t2);
  ASSERT_TRUE(got[1].pause_us >= PAUSE_US && got[1].pause_us <= t2 - t1);
  ASSERT_EQ(0, take_all(got, 8, &lost)); /* each once */
}

/* The module's own collect (vm_collect): two collections with a wait in
 * between (the stack scrub); only the collections count as its pause. */
TEST(the_modules_own_collections_are_timed_but_not_recorded) {
  gcmon_mp_collection got[8];
  struct timespec wait = {0, 5000000L};
  uint64_t lost, t0, pause;

  ready();
  fake_gc_set_pause_us(PAUSE_US);
  t0 = now_us();
  gcmon_mp_gc_hook_remote(true);
  fake_py_gc_collect();
  nanosleep(&wait, NULL);
  fake_gc_alloc_full(0);
  pause = gcmon_mp_gc_hook_remote_pause_us();
  gcmon_mp_gc_hook_remote(false);
  ASSERT_TRUE(pause >= 2 * PAUSE_US);
  ASSERT_TRUE(pause + 5000 <= now_us() - t0); /* the wait is not in it */
  ASSERT_EQ(0, take_all(got, 8, &lost));
  ASSERT_EQ_U64(0, lost);
  fake_py_gc_collect(); /* the next is the program's again */
  ASSERT_EQ(1, take_all(got, 8, &lost));
  ASSERT_TRUE(got[0].by_program);
}

TEST(a_full_ring_keeps_the_newest_and_counts_the_rest_as_lost) {
  gcmon_mp_collection got[64];
  uint64_t lost;
  unsigned n = GCMON_MP_GC_HOOK_RING + 8;

  ready();
  take_all(got, 64, &lost); /* nothing left from before */
  fake_gc_set_pause_us(0);
  for (unsigned i = 0; i < n; i++) {
    fake_gc_set_used(1000 + i);
    fake_py_gc_collect();
  }
  ASSERT_EQ(4, take_all(got, 4, &lost)); /* max is respected */
  ASSERT_EQ_U64(8, lost);
  ASSERT_EQ_U64(1000 + 8, got[0].used_before); /* the oldest kept */
  ASSERT_EQ(GCMON_MP_GC_HOOK_RING - 4, take_all(got, 64, &lost));
  ASSERT_EQ_U64(0, lost);
  ASSERT_EQ_U64(1000 + n - 1, got[GCMON_MP_GC_HOOK_RING - 5].used_before);
}

TEST(disarmed_nothing_is_recorded_and_arming_again_starts_afresh) {
  gcmon_mp_collection got[4];
  uint64_t lost;

  ready();
  gcmon_mp_gc_hook_disarm();
  fake_py_gc_collect();
  ASSERT_EQ(0, take_all(got, 4, &lost));
  ASSERT_TRUE(gcmon_mp_gc_hook_arm(fake_gc_used));
  fake_py_gc_collect();
  gcmon_mp_gc_hook_disarm();
  fake_py_gc_collect(); /* recorded no more, the earlier one kept */
  ASSERT_TRUE(gcmon_mp_gc_hook_arm(fake_gc_used));
  ASSERT_EQ(0, take_all(got, 4, &lost)); /* arming drops old records */
  ASSERT_EQ_U64(0, lost);
}

/* Two pretend Python threads: one calls gc.collect(), one allocates into
 * a full heap; each has its own "mem_alloc" so a record mixing the two
 * would show. */
#define PER_THREAD   400u
#define PROGRAM_USED 0x1111u
#define ALLOC_USED   0x4444u

static int threads_done;

static void *program_thread(void *arg) {
  (void)arg;
  for (unsigned i = 0; i < PER_THREAD; i++) {
    fake_gc_set_used(PROGRAM_USED);
    fake_py_gc_collect();
  }
  __atomic_fetch_add(&threads_done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void *alloc_thread(void *arg) {
  (void)arg;
  for (unsigned i = 0; i < PER_THREAD; i++) {
    fake_gc_set_used(ALLOC_USED);
    fake_gc_alloc_full(0);
  }
  __atomic_fetch_add(&threads_done, 1, __ATOMIC_RELEASE);
  return NULL;
}

static void check_record(const gcmon_mp_collection *c, uint64_t *program,
                         uint64_t *automatic) {
  uint64_t used = c->by_program ? PROGRAM_USED : ALLOC_USED;

  ASSERT_EQ_U64(used, c->used_before);
  ASSERT_EQ_U64(used / 2, c->used_after);
  ASSERT_TRUE(c->pause_us >= 20u);
  if (c->by_program)
    (*program)++;
  else
    (*automatic)++;
}

TEST(two_threads_collecting_at_once_get_whole_records_each_counted) {
  pthread_t a, b;
  gcmon_mp_collection got[8];
  uint64_t program = 0, automatic = 0, lost_total = 0, lost;
  unsigned n;

  ready();
  fake_gc_set_pause_us(20);
  ASSERT_EQ(0, pthread_create(&a, NULL, program_thread, NULL));
  ASSERT_EQ(0, pthread_create(&b, NULL, alloc_thread, NULL));
  while (__atomic_load_n(&threads_done, __ATOMIC_ACQUIRE) < 2) {
    n = take_all(got, 8, &lost); /* T2 reading meanwhile */
    lost_total += lost;
    for (unsigned i = 0; i < n; i++)
      check_record(&got[i], &program, &automatic);
  }
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  while ((n = take_all(got, 8, &lost)) > 0 || lost > 0) {
    lost_total += lost;
    for (unsigned i = 0; i < n; i++)
      check_record(&got[i], &program, &automatic);
  }
  ASSERT_EQ_U64(2 * PER_THREAD, program + automatic + lost_total);
  ASSERT_TRUE(program <= PER_THREAD && automatic <= PER_THREAD);
  printf("# program %" PRIu64 ", automatic %" PRIu64 ", lost %" PRIu64 "\n",
         program, automatic, lost_total);
}

#define GCMON_TESTS(X)                                                         \
  X(nothing_is_recorded_before_calibration)                                    \
  X(calibration_finds_the_program_call_site_with_one_collection)               \
  X(program_and_automatic_collections_are_told_apart_and_timed)                \
  X(the_modules_own_collections_are_timed_but_not_recorded)                    \
  X(a_full_ring_keeps_the_newest_and_counts_the_rest_as_lost)                  \
  X(disarmed_nothing_is_recorded_and_arming_again_starts_afresh)               \
  X(two_threads_collecting_at_once_get_whole_records_each_counted)
#include "gcmon_test_main.h"
