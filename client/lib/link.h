/* The link state machine, link.c (the client's lowest layer above the
 * protocol engine and the transports): hello, reconnect, call queue,
 * timers. */
#ifndef GCMON_CLIENT_LINK_H
#define GCMON_CLIENT_LINK_H

#include "client_types.h"

/* What link.c calls up into, at the moments the link state machine
 * decides: the layers above fill this table (client.c), so the link sits
 * below subscriptions, liveness and the hello's auth instead of calling
 * them by name. */
typedef struct gcmon__link_hooks {
  /* subs.c, subs_compact.c */
  void (*subs_on_event)(gcmon_client *c, uint32_t id, const gcmon_sample *s);
  void (*subs_on_batch)(gcmon_client *c, uint32_t id,
                        const gcmon__incoming *in);
  void (*subs_on_record)(gcmon_client *c, const gcmon__incoming *in);
  void (*subs_sweep)(gcmon_client *c);
  void (*subs_resume)(gcmon_client *c, bool restarted, uint64_t prev_run);
  void (*subs_forget_ids)(gcmon_client *c);
  void (*subs_session_ended)(gcmon_client *c, int err);
  bool (*want_compact)(const gcmon_client *c);
  /* liveness.c */
  void (*liveness_start)(gcmon_client *c);
  void (*liveness_stop)(gcmon_client *c);
  /* hello_auth.c */
  void (*auth_prepare_hello)(gcmon_client *c, gcmon__wire_request *r);
  int (*auth_after_hello)(gcmon_client *c, gcmon_reply *reply,
                          gcmon_reply_cb cb, void *data);
  /* client.c: free a closed client once nothing is pending */
  void (*maybe_free)(gcmon_client *c);
} gcmon__link_hooks;

extern const gcmon__conn_ops gcmon__link_conn_ops;
void gcmon__begin_connect(gcmon_client *c, unsigned timeout_ms);
void gcmon__drop_link(gcmon_client *c, gcmon_state next, int err);
void gcmon__fail_queue(gcmon_client *c, int err);
void gcmon__set_state(gcmon_client *c, gcmon_state st, int err);
uint64_t gcmon__now(gcmon_client *c);
void gcmon__arm_deadlines(gcmon_client *c);
/* Send now when ready, else queue. 0 or GCMON_E* (call untouched). */
int gcmon__submit(gcmon_client *c, gcmon__call *call);
/* A new gcmon__call for this client, deadline from timeout (0 = default). */
gcmon__call *gcmon__call_new(gcmon_client *c, gcmon_call kind,
                             unsigned timeout_ms, gcmon__call_done_fn done,
                             void *data);
void gcmon__link_lost(gcmon_client *c, int err, const char *why);
/* Hello refused or nonsensical: stop for good with err. */
void gcmon__fail(gcmon_client *c, int err);
int gcmon__send_hello(gcmon_client *c, unsigned timeout_ms, gcmon_reply_cb cb,
                      void *data);
/* The end of a hello (after auth, when there was one): the session is
 * ready, or the failure in reply is acted on; then cb. */
void gcmon__hello_complete(gcmon_client *c, gcmon_reply *reply,
                           gcmon_reply_cb cb, void *data);
void gcmon__set_errmsg(gcmon_client *c, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
