/* codec_view <-> protobuf-c Gcmon__V1__Packet (the host library's codec). */
#ifndef CODEC_PBC_H
#define CODEC_PBC_H

#include "codec_view.h"
#include "gcmon.pb-c.h"

#define CODEC_PBC_STR_CAP 128 /* room for strings beyond the nanopb bounds */

/* Everything a Packet built from a view points at; no allocation. */
typedef struct codec_pbc {
  Gcmon__V1__Packet packet;
  Gcmon__V1__Request request;
  Gcmon__V1__Response response;
  Gcmon__V1__Event event;
  Gcmon__V1__Status status;
  Gcmon__V1__HelloRequest hello_req;
  Gcmon__V1__GetSampleRequest get_sample;
  Gcmon__V1__CollectRequest collect_req;
  Gcmon__V1__SetThresholdRequest set_threshold;
  Gcmon__V1__SetEnabledRequest set_enabled;
  Gcmon__V1__SubscribeRequest subscribe;
  Gcmon__V1__UnsubscribeRequest unsubscribe;
  Gcmon__V1__GetHistoryRequest get_history;
  Gcmon__V1__HelloResponse hello;
  Gcmon__V1__CollectResult collect;
  Gcmon__V1__Subscribed subscribed;
  Gcmon__V1__History history;
  Gcmon__V1__Sample samples[CODEC_MAX_SAMPLES];
  Gcmon__V1__Sample *sample_ptrs[CODEC_MAX_SAMPLES];
  Gcmon__V1__GcInfo gc[CODEC_MAX_SAMPLES];
  Gcmon__V1__MemInfo mem[CODEC_MAX_SAMPLES][3];
  char str[CODEC_MAX_FIELD][CODEC_PBC_STR_CAP];
  char status_msg[CODEC_PBC_STR_CAP];
  uint8_t token[CODEC_PBC_STR_CAP];
} codec_pbc;

/* Build s->packet from v. Unlike the nanopb side, strings and the token may
 * exceed the nanopb bounds (up to CODEC_PBC_STR_CAP - 1 bytes), so tests can
 * hand nanopb what a careless client might send. Returns 0, or -1 when v
 * names a kind or field the schema does not have or a string is too long. */
int codec_view_to_pbc(const codec_view *v, codec_pbc *s);

/* Fill *v (zeroed first) from p. Strings in v point into p. Returns 0, or -1
 * for a kind or field the view does not know. */
int codec_pbc_to_view(const Gcmon__V1__Packet *p, codec_view *v);

#endif
