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
 *   ioctl FIONBIO, TCGETS, TCSETS*, TCFLSH, TIOCGWINSZ, TIOCM*,
 *     FIONREAD: every legacy tty request (0x54xx)              EINVAL
 *   fcntl other than F_GETFL / F_SETFL                          EINVAL
 *   pipe2 / dup3 with flags (riscv64 musl's spelling of pipe /
 *     dup2 is flags 0, which RT-Smart serves)                   ENOSYS
 *   socket with SOCK_NONBLOCK / SOCK_CLOEXEC in the type         EINVAL
 *   socket(AF_INET6)                                            EAFNOSUPPORT
 * Names this architecture lacks (riscv64 has no open) are skipped.
 *
 * With RTSMART_PROFILE_REPORT=FILE in the environment the absent calls are
 * not failed by the kernel directly but handed to this launcher (seccomp
 * user notification), which fails them with ENOSYS just the same and
 * writes each one's name to FILE, once, when the program ends: a test can
 * then say which calls a program needed that RT-Smart lacks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
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
    if (stop_at_absent && strncmp(line, "# ABSENT", 8) == 0)
      break;
    line[strcspn(line, " \t\r\n")] = '\0';
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
  struct scmp_arg_cmp a;
  int rc = 0;
  /* ioctl: the legacy tty requests (type 'T', 0x5400-0x54ff: TCGETS,
   * TCSETS*, TCFLSH, TIOCGWINSZ, TIOCM*, FIONBIO, FIONREAD...) are unknown
   * to RT-Smart's UART and pipe drivers; everything else goes through.
   * (One comparison per argument and rule, hence the two allow ranges.) */
  a = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffff00ul, 0x5400ul);
  rc |= rule(ctx, SCMP_ACT_ERRNO(EINVAL), "ioctl", 1, &a);
  a = SCMP_A1(SCMP_CMP_LT, 0x5400ul);
  rc |= rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &a);
  a = SCMP_A1(SCMP_CMP_GE, 0x5500ul);
  rc |= rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &a);
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

/* Send fd over the socket (SCM_RIGHTS). */
static int send_fd(int sock, int fd) {
  char byte = 0, ctl[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr m = {0};
  struct cmsghdr *c;
  memset(ctl, 0, sizeof ctl);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock) {
  char byte, ctl[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {&byte, 1};
  struct msghdr m = {0};
  struct cmsghdr *c;
  int fd = -1;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  if (recvmsg(sock, &m, 0) != 1)
    return -1;
  c = CMSG_FIRSTHDR(&m);
  if (c && c->cmsg_type == SCM_RIGHTS)
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* Answer the child's absent calls with ENOSYS until it exits; write the
 * names seen to report. Returns the child's exit status (128+sig). */
static int serve_notifications(pid_t child, int nfd, const char *report) {
  enum { MAX_SEEN = 256 };
  int seen[MAX_SEEN], nseen = 0, status = 0;
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  FILE *f;
  if (seccomp_notify_alloc(&req, &resp) != 0)
    return 125;
  for (;;) {
    struct pollfd p = {nfd, POLLIN, 0};
    if (waitpid(child, &status, WNOHANG) == child)
      break;
    if (poll(&p, 1, 100) <= 0 || !(p.revents & POLLIN))
      continue;
    memset(req, 0, sizeof *req);
    if (seccomp_notify_receive(nfd, req) != 0)
      continue;
    int known = 0;
    for (int i = 0; i < nseen; i++)
      known |= seen[i] == req->data.nr;
    if (!known && nseen < MAX_SEEN)
      seen[nseen++] = req->data.nr;
    memset(resp, 0, sizeof *resp);
    resp->id = req->id;
    resp->error = -ENOSYS;
    seccomp_notify_respond(nfd, resp);
  }
  seccomp_notify_free(req, resp);
  f = fopen(report, "w");
  if (f) {
    for (int i = 0; i < nseen; i++) {
      char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, seen[i]);
      fprintf(f, "%s\n", name ? name : "?");
      free(name);
    }
    fclose(f);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  scmp_filter_ctx ctx;
  const char *report = getenv("RTSMART_PROFILE_REPORT");
  int sv[2] = {-1, -1};
  pid_t child = 0;
  if (argc < 4) {
    fprintf(stderr, "usage: rtsmart_profile SYSCALLS.txt EXTRAS.txt "
                    "program [args...]\n");
    return 2;
  }
  if (report) {
    int nfd;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || (child = fork()) < 0) {
      perror("rtsmart_profile");
      return 125;
    }
    if (child > 0) {
      close(sv[1]);
      nfd = recv_fd(sv[0]);
      close(sv[0]);
      if (nfd < 0) {
        waitpid(child, NULL, 0);
        return 125;
      }
      return serve_notifications(child, nfd, report);
    }
    close(sv[0]);
  }
  ctx = seccomp_init(report ? SCMP_ACT_NOTIFY : SCMP_ACT_ERRNO(ENOSYS));
  if (!ctx || allow_file(ctx, argv[1], 1) != 0 ||
      allow_file(ctx, argv[2], 0) != 0 || driver_rules(ctx) != 0) {
    fprintf(stderr, "rtsmart_profile: cannot build the filter\n");
    return 125;
  }
  if (seccomp_load(ctx) != 0) {
    fprintf(stderr, "rtsmart_profile: seccomp_load failed\n");
    return 125;
  }
  if (report) {
    int nfd = seccomp_notify_fd(ctx);
    if (nfd < 0 || send_fd(sv[1], nfd) != 0)
      return 125;
    close(nfd);
    close(sv[1]);
  }
  seccomp_release(ctx);
  execvp(argv[3], argv + 3);
  fprintf(stderr, "rtsmart_profile: cannot run %s: %s\n", argv[3],
          strerror(errno));
  return 127;
}
