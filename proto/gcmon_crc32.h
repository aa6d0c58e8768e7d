/* CRC-32/ISO-HDLC (the zlib crc32) used by the gcmon framing layer.
 *
 * Reflected polynomial 0xEDB88320, init 0xFFFFFFFF, final xor 0xFFFFFFFF;
 * gcmon_crc32(0, "123456789", 9) == 0xCBF43926. Pure function, no state,
 * no allocation. Incremental: pass the previous result to continue. */
#ifndef GCMON_CRC32_H
#define GCMON_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t gcmon_crc32(uint32_t crc, const void *data, size_t len);

#endif
