/* rtsmart_profile: runs a program under a seccomp filter that lets through
 * only what RT-Smart's kernel serves, so the rtsmart configuration's tests
 * show on a Linux host that gcmond needs nothing else (docs/design.md).
 *
 *   rtsmart_profile SYSCALLS.txt EXTRAS.txt program [args...]
 *
 * SYSCALLS.txt is tests/rtsmart/syscalls.txt (from canmv-k230/rtsmart's
 * syscall table): names above its '# ABSENT' line are allowed. EXTRAS.txt
 * lists what the host's own C library and loader need, with reasons. Every
 * other system call fails with ENOSYS, as on RT-Smart. Where RT-Smart's
 * drivers refuse a request the kernel would serve, the filter answers as
 * they do:
 *   ioctl FIONBIO, TCGETS, TCSETS*, TCFLSH, TIOCGWINSZ, TIOCM*  EINVAL
 *   fcntl other than F_GETFL / F_SETFL                          EINVAL
 *   pipe2 / dup3 with flags (riscv64 musl's spelling of pipe /
 *     dup2 is flags 0, which RT-Smart serves)                   ENOSYS
 *   socket with SOCK_NONBLOCK / SOCK_CLOEXEC in the type         EINVAL
 *   socket(AF_INET6)                                            EAFNOSUPPORT
 * Names this architecture lacks (x86_64 has no set_thread_area callers,
 * riscv64 no open) are skipped. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* Allow every name in file (up to '# ABSENT' when stop_at_absent). */
static int allow_file(scmp_filter_ctx ctx, const char *file,
                      int stop_at_absent) {
  char line[256];
  FILE *f = fopen(file, "r");
  if (!f) {
    fprintf(stderr, "rtsmart_profile: %s: %s\n", file, strerror(errno));
    return -1;
  }
  while (fgets(line, sizeof line, f)) {
    int nr;
    line[strcspn(line, " \t\r\n")] = '\0';
    if (stop_at_absent && strncmp(line, "# ABSENT", 8) == 0)
      break;
    if (line[0] == '\0' || line[0] == '#')
      continue;
    if (strcmp(line, "ioctl") == 0 || strcmp(line, "fcntl") == 0 ||
        strcmp(line, "socket") == 0)
      continue; /* argument rules below */
    nr = seccomp_syscall_resolve_name(line);
    if (nr == __NR_SCMP_ERROR)
      continue; /* not a system call on this architecture */
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
      fprintf(stderr, "rtsmart_profile: cannot allow %s\n", line);
      fclose(f);
      return -1;
    }
  }
  fclose(f);
  return 0;
}

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
                unsigned argc, const struct scmp_arg_cmp *args) {
  int nr = seccomp_syscall_resolve_name(name);
  int rc;
  if (nr == __NR_SCMP_ERROR)
    return 0;
  rc = seccomp_rule_add_array(ctx, action, nr, argc, args);
  if (rc != 0)
    fprintf(stderr, "rtsmart_profile: rule for %s: %s\n", name, strerror(-rc));
  return rc;
}

static int driver_rules(scmp_filter_ctx ctx) {
  static const unsigned long refused_ioctls[] = {
      FIONBIO, TCGETS,  TCSETS,  TCSETSW, TCSETSF, TCFLSH,
      TCSBRK,  TCXONC,  TIOCGWINSZ, TIOCMGET, TIOCMSET, TIOCMBIS,
      TIOCMBIC, TIOCSCTTY, TIOCEXCL};
  struct scmp_arg_cmp a;
  int rc = 0;
  /* ioctl: allowed, except the requests RT-Smart's drivers reject. */
  for (size_t i = 0; i < sizeof refused_ioctls / sizeof *refused_ioctls; i++) {
    a = SCMP_A1(SCMP_CMP_EQ, refused_ioctls[i]);
    rc |= rule(ctx, SCMP_ACT_ERRNO(EINVAL), "ioctl", 1, &a);
  }
  rc |= rule(ctx, SCMP_ACT_ALLOW, "ioctl", 0, NULL);
  /* fcntl: only F_GETFL/F_SETFL reach dfs; the rest go to the driver. */
  a = SCMP_A1(SCMP_CMP_EQ, F_GETFL);
  rc |= rule(ctx, SCMP_ACT_ALLOW, "fcntl", 1, &a);
  a = SCMP_A1(SCMP_CMP_EQ, F_SETFL);
  rc |= rule(ctx, SCMP_ACT_ALLOW, "fcntl", 1, &a);
  a = SCMP_A1(SCMP_CMP_LT, F_GETFL); /* F_DUPFD, F_GETFD, F_SETFD */
  rc |= rule(ctx, SCMP_ACT_ERRNO(EINVAL), "fcntl", 1, &a);
  a = SCMP_A1(SCMP_CMP_GT, F_SETFL); /* locks, owners, F_DUPFD_CLOEXEC... */
  rc |= rule(ctx, SCMP_ACT_ERRNO(EINVAL), "fcntl", 1, &a);
  /* pipe2/dup3 with flags 0 are riscv64 musl's pipe()/dup2(). */
  a = SCMP_A1(SCMP_CMP_EQ, 0);
  rc |= rule(ctx, SCMP_ACT_ALLOW, "pipe2", 1, &a);
  a = SCMP_A2(SCMP_CMP_EQ, 0);
  rc |= rule(ctx, SCMP_ACT_ALLOW, "dup3", 1, &a);
  /* socket: IPv4 (and local) without type flags. */
  {
    struct scmp_arg_cmp plain[2] = {
        SCMP_A0(SCMP_CMP_NE, AF_INET6),
        SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
    struct scmp_arg_cmp flagged[2] = {
        SCMP_A0(SCMP_CMP_NE, AF_INET6),
        SCMP_A1(SCMP_CMP_MASKED_EQ, SOCK_NONBLOCK | SOCK_CLOEXEC,
                SOCK_NONBLOCK | SOCK_CLOEXEC)};
    struct scmp_arg_cmp v6 = SCMP_A0(SCMP_CMP_EQ, AF_INET6);
    rc |= rule(ctx, SCMP_ACT_ALLOW, "socket", 2, plain);
    rc |= rule(ctx, SCMP_ACT_ERRNO(EINVAL), "socket", 2, flagged);
    rc |= rule(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socket", 1, &v6);
  }
  return rc;
}

int main(int argc, char **argv) {
  scmp_filter_ctx ctx;
  if (argc < 4) {
    fprintf(stderr, "usage: rtsmart_profile SYSCALLS.txt EXTRAS.txt "
                    "program [args...]\n");
    return 2;
  }
  ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
  if (!ctx || allow_file(ctx, argv[1], 1) != 0 ||
      allow_file(ctx, argv[2], 0) != 0 || driver_rules(ctx) != 0) {
    fprintf(stderr, "rtsmart_profile: cannot build the filter\n");
    return 125;
  }
  if (seccomp_load(ctx) != 0) {
    fprintf(stderr, "rtsmart_profile: seccomp_load failed\n");
    return 125;
  }
  seccomp_release(ctx);
  execvp(argv[3], argv + 3);
  fprintf(stderr, "rtsmart_profile: cannot run %s: %s\n", argv[3],
          strerror(errno));
  return 127;
}
