/* Loading the control token from a file, with ssh-like permission checks:
 * a token readable by group or others is refused, not used. */
#ifndef GCMON_TOKEN_H
#define GCMON_TOKEN_H

#include <stddef.h>
#include <stdint.h>

/* Read path into tok (at most 64 bytes; one trailing newline is dropped).
 * Returns the token length, or a negative GCMON_E* with one line in err:
 * missing/unreadable file, group/world-accessible mode, empty or too long. */
int gcmon_token_load(const char *path, uint8_t *tok, size_t cap, char *err,
                     size_t errlen);

#endif
