/* One request in flight: what was asked, when it gives up, who to tell.
 *
 * Calls are allocated by the client (calls.c) and threaded through exactly
 * one intrusive FIFO at a time: the client's queue while the session is not
 * ready, then the connection's in-flight list until answered. */
#ifndef GCMON_CLIENT_CALL_H
#define GCMON_CLIENT_CALL_H

#include "codec.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct gcmon__call gcmon__call;

/* Completion: reply->err is 0 or the failure. The callee frees the call. */
typedef void (*gcmon__call_done_fn)(gcmon__call *call, gcmon_reply *reply);

struct gcmon__call {
  gcmon__wire_request req; /* id assigned when sent */
  uint64_t deadline_ms;    /* on the client's clock; 0 = none */
  gcmon__call_done_fn done;
  void *owner;       /* the client */
  gcmon_reply_cb cb; /* the user's, for public calls */
  void *data;        /* cb's data, or internal context */
  gcmon__call *next;
  gcmon__call *prev;
};

typedef struct gcmon__call_list {
  gcmon__call *head;
  gcmon__call *tail;
  size_t len;
} gcmon__call_list;

void gcmon__call_list_push(gcmon__call_list *l, gcmon__call *c);
void gcmon__call_list_remove(gcmon__call_list *l, gcmon__call *c);
gcmon__call *gcmon__call_list_pop(gcmon__call_list *l);
/* Earliest non-zero deadline in the list, 0 when none. */
uint64_t gcmon__call_list_next_deadline(const gcmon__call_list *l);

#endif
