/* CRC-32/ISO-HDLC, slicing-by-4.
 *
 * The tables (gcmon_crc32_table.h) are constant data, so there is no
 * initialisation step and no mutable state; four table lookups per 32-bit word
 * keep the CRC from dominating frame encode/decode cost (see
 * bench/bench_frame.c). */
#include "gcmon_crc32.h"

#include "gcmon_crc32_table.h"

uint32_t gcmon_crc32(uint32_t crc, const void *data, size_t len) {
  const uint8_t *p = data;
  uint32_t c = ~crc;

  while (len >= 4) {
    c ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
    c = crc_table[3][c & 0xFFu] ^ crc_table[2][(c >> 8) & 0xFFu] ^
        crc_table[1][(c >> 16) & 0xFFu] ^ crc_table[0][c >> 24];
    p += 4;
    len -= 4;
  }
  while (len--)
    c = crc_table[0][(c ^ *p++) & 0xFFu] ^ (c >> 8);
  return ~c;
}
