/* main() for a fuzz target built without libFuzzer: runs
 * LLVMFuzzerTestOneInput once on every file named on the command line, and
 * on every file inside a directory named there. ctest points it at the
 * committed seed corpus, so each corpus is a regression test in every suite
 * (any compiler, ASan+UBSan, valgrind), and a crash input libFuzzer found
 * can be replayed the same way once it is added to the corpus.
 *
 * Each input is copied into a heap block of exactly its size, as libFuzzer
 * does, so an overread is caught by ASan or valgrind. Exits 1 when no input
 * was found: an empty corpus must not pass silently. */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_check.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *data;
  long size;
  if (!f) {
    perror(path);
    return -1;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return -1;
  }
  data = malloc(size > 0 ? (size_t)size : 1u);
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "%s: cannot read\n", path);
    free(data);
    fclose(f);
    return -1;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(data, (size_t)size);
  free(data);
  return 1;
}

/* Files directly inside dir; returns how many ran, -1 on error. */
static int run_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[4096];
  int ran = 0;
  if (!d) {
    perror(dir);
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    if (run_file(path) < 0) {
      ran = -1;
      break;
    }
    ran++;
  }
  closedir(d);
  return ran;
}

int main(int argc, char **argv) {
  int total = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    int n;
    if (stat(argv[i], &st) != 0) {
      perror(argv[i]);
      return 1;
    }
    n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]);
    if (n < 0)
      return 1;
    total += n;
  }
  printf("%d inputs replayed\n", total);
  return total > 0 ? 0 : 1;
}
