/* What every fuzz target shares: the libFuzzer entry point it defines, and
 * FUZZ_CHECK, which turns a broken invariant into abort(). libFuzzer reports
 * an abort as a crash and saves the input; the corpus replay runner
 * (fuzz_replay.c) fails its ctest. A target asserts what must hold for any
 * input (nothing outside a buffer written, every answer well formed, the
 * session still answering), not merely that nothing crashed. */
#ifndef GCMON_FUZZ_CHECK_H
#define GCMON_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__,    \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
