/* The 1.1 memory-insight messages in the client codec: encoding the five
 * calls, decoding their results and the events a subscription that asked
 * receives (watermarks, collection records, alarm events). Shared only
 * between codec.c and codec_insight.c: both see protobuf-c types. */
#ifndef GCMON_CLIENT_CODEC_INSIGHT_H
#define GCMON_CLIENT_CODEC_INSIGHT_H

#include "codec.h"
#include "gcmon.pb-c.h"

/* Storage the encoded Request points into until it is packed. */
typedef struct gcmon__insight_request {
  Gcmon__V1__GetWatermarksRequest wm;
  Gcmon__V1__GetCollectionsRequest coll;
  Gcmon__V1__AddAlarmRequest add;
  Gcmon__V1__AlarmRule rule;
  Gcmon__V1__RemoveAlarmRequest rm;
  Gcmon__V1__ListAlarmsRequest list;
} gcmon__insight_request;

/* Fill req's call from r (one of the five 1.1 calls); 0 or GCMON_EINVAL. */
int gcmon__encode_insight_request(const gcmon__wire_request *r,
                                  Gcmon__V1__Request *req,
                                  gcmon__insight_request *st);

/* A Response carrying a 1.1 result; 0 or GCMON_EPARSE. */
int gcmon__copy_insight_response(gcmon__incoming *in,
                                 const Gcmon__V1__Response *r);

/* Event.watermarks and the 1.1 bodies; 0 or GCMON_EPARSE. */
int gcmon__copy_insight_event(gcmon__incoming *in, const Gcmon__V1__Event *e);

void gcmon__copy_sample(gcmon_sample *dst, const Gcmon__V1__Sample *s);

#endif
