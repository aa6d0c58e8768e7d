/* The runner half of gcmon_test.h: include once, after GCMON_TESTS(X). */
#include <stdlib.h>

jmp_buf gcmon_test_jmp;
int gcmon_test_failed;

typedef struct {
  const char *name;
  void (*fn)(void);
} gcmon_test_case;

#define GCMON__TEST_ROW(name) {#name, name},
static const gcmon_test_case gcmon_test_cases[] = {
    GCMON_TESTS(GCMON__TEST_ROW)};

static int gcmon_test_selected(int argc, char **argv, const char *name) {
  if (argc < 2)
    return 1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return 1;
  return 0;
}

/* setjmp lives in its own frame so no runner variable can be clobbered. */
static int gcmon_test_run_one(const gcmon_test_case *t) {
  if (setjmp(gcmon_test_jmp) != 0)
    return 0;
  t->fn();
  return 1;
}

int main(int argc, char **argv) {
  size_t n = sizeof gcmon_test_cases / sizeof gcmon_test_cases[0];
  int ran = 0, failed = 0;

  setvbuf(stdout, NULL, _IOLBF, 0);
  for (size_t i = 0; i < n; i++) {
    const gcmon_test_case *t = &gcmon_test_cases[i];
    if (!gcmon_test_selected(argc, argv, t->name))
      continue;
    ran++;
    if (gcmon_test_run_one(t)) {
      printf("ok   %s\n", t->name);
    } else {
      failed++;
      printf("FAIL %s\n", t->name);
    }
  }
  printf("%d tests, %d failed\n", ran, failed);
  return failed || ran == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
