/* A program outside the gcmon tree, built only against the installed
 * library (pkg-config or find_package): reads one sample and prints a
 * few of its counters as key=value lines. */
#include <gcmon/client.h>

#include <inttypes.h>
#include <stdio.h>

int main(int argc, char **argv) {
  gcmon_client *c;
  gcmon_sample s;
  int err;

  if (argc != 2) {
    fprintf(stderr, "usage: reads_a_sample URI\n");
    return 2;
  }
  err = gcmon_client_init(&c, NULL, argv[1], NULL);
  if (err != 0) {
    fprintf(stderr, "%s\n", gcmon_strerror(err));
    return 1;
  }
  err = gcmon_client_connect(c, 0);
  if (err == 0)
    err = gcmon_get_sample(c, &s, 0);
  if (err != 0) {
    fprintf(stderr, "%s: %s\n", gcmon_strerror(err), gcmon_client_errmsg(c));
    gcmon_client_close(c);
    return 1;
  }
  printf("source=%s\n", gcmon_client_info(c)->source);
  printf("seq=%" PRIu64 "\n", s.seq);
  printf("sys_total=%" PRIu64 "\n", s.sys_total);
  printf("sys_heap.total=%" PRIu64 "\n", s.sys_heap.total);
  gcmon_client_close(c);
  return 0;
}
