/* An allocation counter to preload into gcmond (see malloc_count.h), so a
 * benchmark can prove from outside that the daemon's hot path allocates
 * nothing: it reads the counters, lets N samples and requests go by, and
 * reads them again.
 *
 * Every allocation function glibc lets a program replace is wrapped and
 * forwarded to glibc's own (__libc_malloc and friends: no dlsym, which
 * itself allocates). The counters live in a file mapping so the measuring
 * process sees them live; until that mapping exists (or without the
 * environment variable) calls are forwarded uncounted.
 *
 * The mapping pointer is this file's one piece of global state: an
 * interposed malloc has no object to hang it from. gcmond is
 * single-threaded; relaxed atomics keep a libuv worker thread, should one
 * ever allocate, from tearing the counts. */
#define _GNU_SOURCE
#include "malloc_count.h"

#include <fcntl.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

static bench_malloc_counts *counts;
static int init_state; /* 0 not tried, 1 trying, 2 done */

static bench_malloc_counts *get_counts(void) {
  const char *path;
  int fd;
  void *m;
  if (init_state == 2 || init_state == 1)
    return counts;
  init_state = 1;
  path = getenv(BENCH_MALLOC_COUNT_ENV);
  fd = path ? open(path, O_RDWR | O_CLOEXEC) : -1;
  if (fd >= 0) {
    m = mmap(NULL, sizeof *counts, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (m != MAP_FAILED)
      counts = m;
  }
  init_state = 2;
  return counts;
}

static void add(uint64_t *field, uint64_t v) {
  __atomic_fetch_add(field, v, __ATOMIC_RELAXED);
}

static void count_alloc(void *p) {
  bench_malloc_counts *c = get_counts();
  if (c && p) {
    size_t n = malloc_usable_size(p);
    add(&c->allocs, 1);
    add(&c->bytes, n);
    __atomic_fetch_add(&c->live_bytes, (int64_t)n, __ATOMIC_RELAXED);
  }
}

static void count_free(void *p) {
  bench_malloc_counts *c = get_counts();
  if (c && p) {
    add(&c->frees, 1);
    __atomic_fetch_sub(&c->live_bytes, (int64_t)malloc_usable_size(p),
                       __ATOMIC_RELAXED);
  }
}

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  count_alloc(p);
  return p;
}

void *calloc(size_t n, size_t size) {
  void *p = __libc_calloc(n, size);
  count_alloc(p);
  return p;
}

void *realloc(void *old, size_t n) {
  bench_malloc_counts *c = get_counts();
  size_t before = old ? malloc_usable_size(old) : 0;
  void *p = __libc_realloc(old, n);
  if (c && old && (p || n == 0)) {
    __atomic_fetch_sub(&c->live_bytes, (int64_t)before, __ATOMIC_RELAXED);
    if (n == 0)
      add(&c->frees, 1);
    else
      add(&c->reallocs, 1);
  }
  if (c && p) {
    size_t after = malloc_usable_size(p);
    add(&c->allocs, 1);
    add(&c->bytes, after);
    __atomic_fetch_add(&c->live_bytes, (int64_t)after, __ATOMIC_RELAXED);
  }
  return p;
}

void free(void *p) {
  count_free(p);
  __libc_free(p);
}

void *memalign(size_t align, size_t n) {
  void *p = __libc_memalign(align, n);
  count_alloc(p);
  return p;
}

void *aligned_alloc(size_t align, size_t n) {
  return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n) {
  void *p;
  if (align < sizeof(void *) || (align & (align - 1)) != 0)
    return 22; /* EINVAL */
  p = memalign(align, n);
  if (!p)
    return 12; /* ENOMEM */
  *out = p;
  return 0;
}

void *valloc(size_t n) {
  return memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

void *pvalloc(size_t n) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return memalign(page, (n + page - 1) / page * page);
}
