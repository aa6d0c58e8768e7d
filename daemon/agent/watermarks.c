/* Watermark windows (see watermarks.h). */
#include "watermarks.h"

#include <string.h>

void gcmon__wm_clear(gcmon_watermarks *w) {
  memset(w, 0, sizeof *w);
}

static void fold_pool(gcmon_pool_watermark *p, uint64_t free, uint64_t used,
                      int64_t largest) {
  if (!p->present) {
    p->present = true;
    p->min_free = free;
    p->max_used = used;
    p->min_largest_free = largest;
    return;
  }
  if (free < p->min_free)
    p->min_free = free;
  if (used > p->max_used)
    p->max_used = used;
  if (largest >= 0 &&
      (p->min_largest_free < 0 || largest < p->min_largest_free))
    p->min_largest_free = largest;
}

void gcmon__wm_fold(gcmon_watermarks *w, const gcmon_sample *s) {
  if (w->from_seq == 0)
    w->from_seq = s->seq;
  w->to_seq = s->seq;
  if (s->has_gc)
    fold_pool(&w->pool[GCMON_POOL_GC],
              s->gc.mem_free < 0 ? 0 : (uint64_t)s->gc.mem_free,
              s->gc.mem_alloc < 0 ? 0 : (uint64_t)s->gc.mem_alloc,
              s->gc.largest_free);
  if (s->has_sys_heap)
    fold_pool(&w->pool[GCMON_POOL_SYS_HEAP], s->sys_heap.free, s->sys_heap.used,
              -1);
  if (s->has_sys_page)
    fold_pool(&w->pool[GCMON_POOL_SYS_PAGE], s->sys_page.free, s->sys_page.used,
              -1);
  if (s->has_sys_mmz)
    fold_pool(&w->pool[GCMON_POOL_SYS_MMZ], s->sys_mmz.free, s->sys_mmz.used,
              -1);
}

void gcmon__wm_merge(gcmon_watermarks *w, const gcmon_watermarks *other) {
  if (other->from_seq == 0)
    return;
  if (w->from_seq == 0 || other->from_seq < w->from_seq)
    w->from_seq = other->from_seq;
  if (other->to_seq > w->to_seq)
    w->to_seq = other->to_seq;
  for (int i = 0; i < GCMON_POOL_COUNT; i++) {
    const gcmon_pool_watermark *o = &other->pool[i];
    if (o->present)
      fold_pool(&w->pool[i], o->min_free, o->max_used, o->min_largest_free);
  }
}

static void pool_to_pb(const gcmon_pool_watermark *p, bool *has,
                       gcmon_v1_PoolWatermark *out) {
  *has = p->present;
  out->min_free = p->min_free;
  out->max_used = p->max_used;
  out->min_largest_free = p->min_largest_free;
}

void gcmon__wm_to_pb(const gcmon_watermarks *w, gcmon_v1_Watermarks *out) {
  *out = (gcmon_v1_Watermarks)gcmon_v1_Watermarks_init_zero;
  out->from_seq = w->from_seq;
  out->to_seq = w->to_seq;
  pool_to_pb(&w->pool[GCMON_POOL_GC], &out->has_gc, &out->gc);
  pool_to_pb(&w->pool[GCMON_POOL_SYS_HEAP], &out->has_sys_heap, &out->sys_heap);
  pool_to_pb(&w->pool[GCMON_POOL_SYS_PAGE], &out->has_sys_page, &out->sys_page);
  pool_to_pb(&w->pool[GCMON_POOL_SYS_MMZ], &out->has_sys_mmz, &out->sys_mmz);
}
