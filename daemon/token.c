/* Token file loading (see token.h). */
#define _POSIX_C_SOURCE 200809L
#include "token.h"

#include "gcmon/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gcmon_token_load(const char *path, uint8_t *tok, size_t cap, char *err,
                     size_t errlen) {
  uint8_t buf[128];
  struct stat st;
  ssize_t n;
  /* O_NONBLOCK: opening a FIFO for reading would wait for a writer; we
   * refuse anything but a regular file right after, before any read. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

  if (fd < 0) {
    snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
    return GCMON_EIO;
  }
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "token file %s: not a regular file", path);
    close(fd);
    return GCMON_EINVAL;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    snprintf(err, errlen,
             "token file %s is accessible by group/others (mode %04o); "
             "run: chmod 600 %s",
             path, (unsigned)(st.st_mode & 07777), path);
    close(fd);
    return GCMON_EPERM;
  }
  n = read(fd, buf, sizeof buf);
  close(fd);
  if (n < 0) {
    snprintf(err, errlen, "token file %s: %s", path, strerror(errno));
    return GCMON_EIO;
  }
  if (n > 0 && buf[n - 1] == '\n')
    n--;
  if (n > 0 && buf[n - 1] == '\r')
    n--;
  if (n == 0 || (size_t)n > cap) {
    snprintf(err, errlen, "token file %s: token must be 1 to %zu bytes", path,
             cap);
    return GCMON_EINVAL;
  }
  memcpy(tok, buf, (size_t)n);
  return (int)n;
}
