/* History ring storage (see history.h). */
#include "history.h"

#include "gcmon/error.h"

#include <stdlib.h>

int gcmon__history_init(gcmon__history *h, uint32_t capacity) {
  h->slots = calloc(capacity, sizeof *h->slots);
  h->capacity = capacity;
  h->newest = 0;
  return h->slots ? 0 : GCMON_ENOMEM;
}

void gcmon__history_close(gcmon__history *h) {
  free(h->slots);
  h->slots = NULL;
}

uint64_t gcmon__history_append(gcmon__history *h, gcmon_sample *s) {
  s->seq = ++h->newest;
  h->slots[(s->seq - 1) % h->capacity] = *s;
  return s->seq;
}

uint64_t gcmon__history_oldest(const gcmon__history *h) {
  if (h->newest == 0)
    return 0;
  return h->newest > h->capacity ? h->newest - h->capacity + 1 : 1;
}

const gcmon_sample *gcmon__history_get(const gcmon__history *h, uint64_t seq) {
  if (seq == 0 || seq > h->newest || seq < gcmon__history_oldest(h))
    return NULL;
  return &h->slots[(seq - 1) % h->capacity];
}
