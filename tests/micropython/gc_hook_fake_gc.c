/* The pretend gc_collect() (see gc_hook_fake.h). */
#define _POSIX_C_SOURCE 200809L
#include "gc_hook_fake.h"

#include <pthread.h>
#include <time.h>

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t pause_us = 1000;
static uint64_t collections;
static __thread uint64_t thread_used;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void gc_collect(void) {
  uint64_t until;

  pthread_mutex_lock(&heap_lock);
  until = now_us() + pause_us;
  while (now_us() < until)
    ;
  thread_used /= 2;
  collections++;
  pthread_mutex_unlock(&heap_lock);
}

void fake_gc_set_pause_us(uint64_t us) {
  pthread_mutex_lock(&heap_lock);
  pause_us = us;
  pthread_mutex_unlock(&heap_lock);
}

void fake_gc_set_used(uint64_t bytes) {
  thread_used = bytes;
}

uint64_t fake_gc_used(void) {
  return thread_used;
}

uint64_t fake_gc_collections(void) {
  uint64_t n;

  pthread_mutex_lock(&heap_lock);
  n = collections;
  pthread_mutex_unlock(&heap_lock);
  return n;
}

void fake_gc_collect_in_same_object(void) {
  gc_collect();
}
