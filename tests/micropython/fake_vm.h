/* A pretend MicroPython VM behind the module's seam (daemon/micropython/
 * vm.h), for tests: a heap of 16-byte blocks split into live, garbage and
 * free, the threshold/enable words, a "GIL" a test can hold to play a busy
 * Python thread, and counters of what the module asked for.
 *
 *     fake_vm f;
 *     fake_vm_init(&f, 2u << 20);         // a 2 MiB heap
 *     fake_vm_alloc(&f, 4096, true);      // 4 KiB of garbage
 *     gcmon_mp_vm vm = fake_vm_ops(&f);   // what T2 serves with
 *
 * Every field is behind f->mu; the test thread and T2 both touch them. */
#ifndef GCMON_FAKE_VM_H
#define GCMON_FAKE_VM_H

#include "mailbox.h"
#include "vm.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define FAKE_VM_BLOCK 16u

typedef struct fake_vm {
  pthread_mutex_t mu;
  pthread_mutex_t gil;           /* enter/leave take it */
  uint64_t total, live, garbage; /* bytes */
  uint64_t split_limit; /* split heap auto: areas are added up to this total
                           (0: one fixed area) */
  uint64_t area_bytes;  /* size of each new area */
  uint64_t threshold_blocks;     /* UINT64_MAX = off */
  bool enabled;
  uint64_t alloc_amount; /* blocks since the last collection */
  uint64_t collected;    /* blocks freed by the last collection */
  pthread_cond_t cv;     /* collect_* below changed */
  bool collect_gated;    /* collections wait for the gate */
  bool collect_started;  /* one is inside collect() */
  bool exit_wanted;      /* should_exit answers this */
  /* What happened. */
  uint64_t heap_allocs; /* fake_vm_alloc calls: the heap's allocator */
  uint64_t reads, scans, collects, stores;
  /* Program collections, timed as a gc hook in firmware would, until
   * take_collections hands them over. */
  gcmon_mp_collection timed[8];
  unsigned n_timed;
  uint64_t lost_timed; /* timed when timed[] was full: counted, not kept */
} fake_vm;

/* A collection marks and sweeps: the fake spends this long on one, a
 * K230-like 0.1 ms plus 0.5 ms per MiB of heap. */
#define FAKE_VM_PAUSE_US(heap_bytes) (100u + (heap_bytes) / 2048u)

void fake_vm_init(fake_vm *f, uint64_t heap_bytes);
void fake_vm_destroy(fake_vm *f);

/* The program allocates bytes (rounded up to blocks), live or garbage. */
void fake_vm_alloc(fake_vm *f, uint64_t bytes, bool garbage);
/* A collection the module did not ask for (gc.collect() from Python),
 * taking FAKE_VM_PAUSE_US, timed and kept for take_collections. */
void fake_vm_collect_by_program(fake_vm *f);

/* Let the heap grow new areas of area_bytes by itself when an allocation
 * does not fit, up to limit bytes in all (MICROPY_GC_SPLIT_HEAP_AUTO). */
void fake_vm_split_heap_auto(fake_vm *f, uint64_t area_bytes, uint64_t limit);

/* gc.mem_alloc() as the program would see it now. */
uint64_t fake_vm_mem_alloc(fake_vm *f);
/* gc.mem_free() likewise: free + the room left to grow (py/modgc.c). */
uint64_t fake_vm_mem_free(fake_vm *f);
/* gc_info total: the bytes of the areas the heap has now. */
uint64_t fake_vm_heap_total(fake_vm *f);
/* Snapshot of any counter, read under the lock. */
fake_vm fake_vm_snapshot(fake_vm *f);
void fake_vm_set_exit(fake_vm *f);
/* A slow collection, as long as the test wants: close the gate, wait
 * until T2 is inside collect(), open it. */
void fake_vm_gate_collects(fake_vm *f);
void fake_vm_wait_collect_started(fake_vm *f);
void fake_vm_open_gate(fake_vm *f);

gcmon_mp_vm fake_vm_ops(fake_vm *f);

/* T2 for tests: a plain thread serving mb with f's ops (poll 10 ms). */
typedef struct fake_worker {
  pthread_t thread;
  gcmon_mp_mailbox *mb;
  gcmon_mp_vm vm;
  bool vm_exit; /* what serve() returned */
} fake_worker;

void fake_worker_start(fake_worker *w, gcmon_mp_mailbox *mb, fake_vm *f);
/* Join the worker (close mb first, or make the VM ask to exit). */
bool fake_worker_join(fake_worker *w);

#endif
