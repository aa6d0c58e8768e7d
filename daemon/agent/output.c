/* A session's output queue: frames appended to the session's out buffer,
 * which the transport drains (gcmon_session_output, session.c). The bottom
 * of the agent core (layer 1): streams, compact batches and responses all
 * go out through it. */
#include "output.h"

#include "gcmon_frame.h"

size_t gcmon__session_out_free(const gcmon_session *s) {
  return sizeof s->out - s->out_tail;
}

bool gcmon__session_send_payload(gcmon_session *s, const uint8_t *payload,
                                 size_t n) {
  size_t w = n ? gcmon_frame_encode(payload, n, s->out + s->out_tail,
                                    gcmon__session_out_free(s))
               : 0;
  s->out_tail += w;
  return w != 0;
}

bool gcmon__session_send_packet(gcmon_session *s) {
  gcmon_agent *a = s->agent;
  size_t n = gcmon__codec_encode(&a->tx, a->payload, sizeof a->payload);
  return gcmon__session_send_payload(s, a->payload, n);
}
