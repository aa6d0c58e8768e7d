/* Prints every Packet of the cross-codec case table, encoded by nanopb, as
 * one "name hex" line, so that decoders outside this build (protoc, Python
 * protobuf) can check the daemon's bytes: see test_independent_decoders.py.
 * Exits non-zero if any case fails to encode. */
#include "codec_nano.h"
#include "gcmon_frame.h"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  for (size_t i = 0; i < codec_ncases; i++) {
    uint8_t buf[GCMON_MAX_PAYLOAD];
    size_t n = codec_nano_encode(&codec_cases[i].view, buf, sizeof buf);
    if (n == 0) {
      fprintf(stderr, "dump_vectors: case %s does not encode\n",
              codec_cases[i].name);
      return EXIT_FAILURE;
    }
    printf("%s ", codec_cases[i].name);
    for (size_t k = 0; k < n; k++)
      printf("%02x", buf[k]);
    putchar('\n');
  }
  return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
