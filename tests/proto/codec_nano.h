/* codec_view <-> nanopb gcmon_v1_Packet (the daemon's codec). */
#ifndef CODEC_NANO_H
#define CODEC_NANO_H

#include "codec_view.h"
#include "gcmon.pb.h"

/* Fill *p (zeroed first) from v. Returns 0, or -1 when v names a kind or
 * field nanopb has no slot for or a string, token or sample count exceeds
 * the bounds in gcmon.options. */
int codec_view_to_nano(const codec_view *v, gcmon_v1_Packet *p);

/* Fill *v (zeroed first) from p. Strings in v point into p. Returns 0, or -1
 * for a kind or field the view does not know. */
int codec_nano_to_view(const gcmon_v1_Packet *p, codec_view *v);

/* Encode v with nanopb into out[0..cap). Returns the length, or 0 when v
 * does not convert or encoding fails. */
size_t codec_nano_encode(const codec_view *v, uint8_t *out, size_t cap);

#endif
