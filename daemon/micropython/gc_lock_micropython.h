/* The gc heap's own lock, for code that reads the heap's tables directly
 * (vm_micropython.c, gc_hook_micropython.c): gc.c's mutex on no-GIL builds;
 * nothing on GIL builds, where holding the GIL is enough. Firmware only
 * (MicroPython headers). */
#ifndef GCMON_MP_GC_LOCK_MICROPYTHON_H
#define GCMON_MP_GC_LOCK_MICROPYTHON_H

#include "py/mpstate.h"
#include "py/mpthread.h"

#if MICROPY_PY_THREAD_GIL
#define GC_WORD_LOCK()
#define GC_WORD_UNLOCK()
#else
#define GC_WORD_LOCK()   mp_thread_mutex_lock(&MP_STATE_MEM(gc_mutex), 1)
#define GC_WORD_UNLOCK() mp_thread_mutex_unlock(&MP_STATE_MEM(gc_mutex))
#endif

#endif
