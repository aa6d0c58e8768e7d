/* Saying what answered instead of gcmond: a link that is still waiting for
 * its hello keeps the first bytes it received, and when it gives up those
 * bytes are recognised (a MicroPython prompt, an HTTP or SSH server, other
 * text) so the error names them and suggests repl:// where it fits. */
#ifndef GCMON_CLIENT_ANSWERED_H
#define GCMON_CLIENT_ANSWERED_H

#include "uri.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GCMON__HEARD_MAX 160

/* Describe heard[0..n) as the answer of target; false (out untouched) when
 * there is nothing to say (no bytes, or only frame bytes). */
bool gcmon__describe_answer(const gcmon__uri *uri, const char *target,
                            const uint8_t *heard, size_t n, char *out,
                            size_t cap);

#endif
