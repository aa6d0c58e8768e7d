/* Seeded, reproducible pseudo-random numbers for tests (xorshift64*). */
#ifndef GCMON_TEST_RAND_H
#define GCMON_TEST_RAND_H

#include <stdint.h>

typedef struct {
  uint64_t s;
} test_rand;

static inline void test_rand_seed(test_rand *r, uint64_t seed) {
  r->s = seed ? seed : 0x9E3779B97F4A7C15ull;
}

static inline uint64_t test_rand_next(test_rand *r) {
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform-enough integer in [lo, hi]. */
static inline uint64_t test_rand_range(test_rand *r, uint64_t lo, uint64_t hi) {
  return lo + test_rand_next(r) % (hi - lo + 1);
}

#endif
