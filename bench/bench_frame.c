/* Framing throughput: gcmon_frame_encode() and the frame decoder against a
 * memcpy of the same payloads, timed in the same run on the same buffers.
 *
 * For each workload a set of distinct payloads is prepared once; each
 * repeat then times, back to back, (1) memcpy of every payload into a
 * scratch buffer, (2) encoding every payload into a scratch buffer and
 * (3) decoding the whole concatenated wire stream, each pass looping over
 * the set until about --mib MiB of payload went through. The table shows
 * the median of the repeats, in MB/s of payload (10^6 bytes per second),
 * and how many times longer framing takes than the memcpy.
 *
 * memcpy goes through a volatile function pointer and every destination is
 * read back into a volatile sink, so the compiler can neither inline the
 * copies into something cheaper nor drop them.
 *
 *     bench_frame [--repeats N] [--mib M] [--quick]
 *
 * Prints a Markdown table on stdout. Exits non-zero only when it cannot run
 * (bad arguments, no memory, a frame that does not decode back). */
#define _POSIX_C_SOURCE 200809L
#include "gcmon_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SET_FRAMES 256 /* distinct payloads per workload */

typedef void *(*copy_fn)(void *, const void *, size_t);

typedef enum { FILL_RANDOM, FILL_ALL_ESCAPED } fill_kind;

typedef struct {
  const char *name;
  size_t len;
  fill_kind fill;
} workload;

static const workload workloads[] = {
    {"110 B (sample-sized)", 110, FILL_RANDOM},
    {"1024 B", 1024, FILL_RANDOM},
    {"1024 B all-escaped", 1024, FILL_ALL_ESCAPED},
};

/* Prepared inputs for one workload. */
typedef struct {
  size_t len;        /* payload bytes per frame */
  uint8_t *payloads; /* SET_FRAMES * len */
  uint8_t *wire;     /* the encoded frames, back to back */
  size_t wire_len;   /* bytes in wire */
  size_t passes;     /* times each timed pass walks the set */
  uint8_t scratch[GCMON_FRAME_WIRE_MAX];
  uint8_t dec_buf[GCMON_FRAME_MAX];
} bench;

typedef struct {
  double memcpy_s, encode_s, decode_s; /* medians, seconds per timed pass */
  double bytes;                        /* payload bytes per timed pass */
  double wire_per_frame;               /* mean wire bytes per frame */
} timing;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64*: reproducible payload bytes. */
static uint64_t next_rand(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1Dull;
}

static int bench_init(bench *b, const workload *w, double mib) {
  uint64_t seed = 0x67636d6f6eull; /* "gcmon" */
  size_t wire_cap = SET_FRAMES * GCMON_FRAME_WIRE_SIZE(w->len);

  memset(b, 0, sizeof *b);
  b->len = w->len;
  b->payloads = malloc(SET_FRAMES * w->len);
  b->wire = malloc(wire_cap);
  if (!b->payloads || !b->wire)
    return -1;
  for (size_t i = 0; i < SET_FRAMES * w->len; i++) {
    uint8_t r = (uint8_t)(next_rand(&seed) >> 56);
    b->payloads[i] = w->fill == FILL_RANDOM ? r
                     : (r & 1)              ? GCMON_FRAME_FLAG
                                            : GCMON_FRAME_ESC;
  }
  for (size_t i = 0; i < SET_FRAMES; i++) {
    size_t n =
        gcmon_frame_encode(b->payloads + i * w->len, w->len,
                           b->wire + b->wire_len, wire_cap - b->wire_len);
    if (n == 0)
      return -1;
    b->wire_len += n;
  }
  double set_bytes = (double)SET_FRAMES * (double)w->len;
  b->passes = (size_t)(mib * 1048576.0 / set_bytes);
  if (b->passes == 0)
    b->passes = 1;
  return 0;
}

static void bench_close(bench *b) {
  free(b->payloads);
  free(b->wire);
}

static double time_memcpy(bench *b, copy_fn copy, volatile uint8_t *sink) {
  double t0 = now_s();
  for (size_t p = 0; p < b->passes; p++)
    for (size_t i = 0; i < SET_FRAMES; i++) {
      copy(b->scratch, b->payloads + i * b->len, b->len);
      *sink ^= b->scratch[(i + p) % b->len];
    }
  return now_s() - t0;
}

static double time_encode(bench *b, volatile uint8_t *sink) {
  double t0 = now_s();
  for (size_t p = 0; p < b->passes; p++)
    for (size_t i = 0; i < SET_FRAMES; i++) {
      size_t n = gcmon_frame_encode(b->payloads + i * b->len, b->len,
                                    b->scratch, sizeof b->scratch);
      *sink ^= (uint8_t)(n ^ b->scratch[(i + p) % (n | 1)]);
    }
  return now_s() - t0;
}

/* Returns the elapsed time, or a negative value if a frame went missing. */
static double time_decode(bench *b, volatile uint8_t *sink) {
  gcmon_frame_decoder d;
  size_t frames = 0;

  gcmon_frame_decoder_init(&d, b->dec_buf, sizeof b->dec_buf);
  double t0 = now_s();
  for (size_t p = 0; p < b->passes; p++) {
    const uint8_t *in = b->wire;
    size_t left = b->wire_len;
    while (left > 0) {
      size_t used;
      if (gcmon_frame_decoder_feed(&d, in, left, &used) == GCMON_FRAME_READY) {
        frames++;
        *sink ^= d.buf[d.payload_len - 1];
      }
      in += used;
      left -= used;
    }
  }
  double t = now_s() - t0;
  return frames == b->passes * SET_FRAMES && d.payload_len == b->len ? t : -1;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Medians of `repeats` interleaved runs (after one warm-up run). */
static int run_workload(const workload *w, int repeats, double mib,
                        copy_fn copy, timing *out) {
  bench *b = malloc(sizeof *b);
  double *t = malloc(3 * (size_t)repeats * sizeof *t);
  volatile uint8_t sink = 0;
  int rc = -1;

  if (!b || !t || bench_init(b, w, mib) != 0)
    goto done;
  for (int r = -1; r < repeats; r++) {
    double m = time_memcpy(b, copy, &sink);
    double e = time_encode(b, &sink);
    double d = time_decode(b, &sink);
    if (d < 0) {
      fprintf(stderr, "bench_frame: %s: decoded frames do not match\n",
              w->name);
      goto done;
    }
    if (r >= 0) {
      t[r] = m;
      t[repeats + r] = e;
      t[2 * repeats + r] = d;
    }
  }
  out->memcpy_s = median(t, (size_t)repeats);
  out->encode_s = median(t + repeats, (size_t)repeats);
  out->decode_s = median(t + 2 * repeats, (size_t)repeats);
  out->bytes = (double)b->passes * SET_FRAMES * (double)b->len;
  out->wire_per_frame = (double)b->wire_len / SET_FRAMES;
  rc = 0;
done:
  if (b)
    bench_close(b);
  free(b);
  free(t);
  return rc;
}

static double mb_per_s(double bytes, double seconds) {
  return seconds > 0 ? bytes / seconds / 1e6 : 0;
}

static int usage(void) {
  fprintf(stderr, "usage: bench_frame [--repeats N (default 15)] "
                  "[--mib M (default 16)] [--quick]\n");
  return 2;
}

int main(int argc, char **argv) {
  int repeats = 15;
  double mib = 16;
  /* volatile: the copies must be real calls into the C library. */
  copy_fn volatile copy = memcpy;

  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) {
      repeats = 3;
      mib = 0.25;
    } else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) {
      repeats = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) {
      mib = atof(argv[++i]);
    } else {
      return usage();
    }
  }
  if (repeats < 1 || repeats > 1000 || !(mib > 0 && mib <= 4096))
    return usage();

  printf(
      "| payload | wire bytes/frame | memcpy MB/s | encode MB/s | decode MB/s "
      "| encode ÷ memcpy | decode ÷ memcpy |\n"
      "|---|--:|--:|--:|--:|--:|--:|\n");
  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
    const workload *w = &workloads[i];
    timing t;
    if (run_workload(w, repeats, mib, copy, &t) != 0)
      return 1;
    printf("| %s | %.1f | %.0f | %.0f | %.0f | %.1f× | %.1f× |\n", w->name,
           t.wire_per_frame, mb_per_s(t.bytes, t.memcpy_s),
           mb_per_s(t.bytes, t.encode_s), mb_per_s(t.bytes, t.decode_s),
           t.encode_s / t.memcpy_s, t.decode_s / t.memcpy_s);
  }
  printf("\nMedian of %d runs, %.2f MiB of payload per timed pass, %d "
         "distinct payloads per workload.\n",
         repeats, mib, SET_FRAMES);
  return fflush(stdout) == 0 ? 0 : 1;
}
