/* Intrusive FIFO of calls (see call.h). O(1) push, pop and remove. */
#include "call.h"

#include <stddef.h>

void gcmon__call_list_push(gcmon__call_list *l, gcmon__call *c) {
  c->next = NULL;
  c->prev = l->tail;
  if (l->tail)
    l->tail->next = c;
  else
    l->head = c;
  l->tail = c;
  l->len++;
}

void gcmon__call_list_remove(gcmon__call_list *l, gcmon__call *c) {
  if (c->prev)
    c->prev->next = c->next;
  else
    l->head = c->next;
  if (c->next)
    c->next->prev = c->prev;
  else
    l->tail = c->prev;
  c->next = c->prev = NULL;
  l->len--;
}

gcmon__call *gcmon__call_list_pop(gcmon__call_list *l) {
  gcmon__call *c = l->head;
  if (c)
    gcmon__call_list_remove(l, c);
  return c;
}

uint64_t gcmon__call_list_next_deadline(const gcmon__call_list *l) {
  uint64_t best = 0;
  for (const gcmon__call *c = l->head; c; c = c->next)
    if (c->deadline_ms && (best == 0 || c->deadline_ms < best))
      best = c->deadline_ms;
  return best;
}
