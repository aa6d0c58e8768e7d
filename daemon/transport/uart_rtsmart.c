/* RT-Smart UART opening and configuration (see uart_rtsmart.h). No termios,
 * no FIONBIO: open(O_NONBLOCK) and one UART_IOCTL_SET_CONFIG. */
#include "uart_rtsmart.h"

#include "gcmon/error.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define DATA_BITS_8 8u
#define RX_BUFSZ 1024u /* bytes the driver buffers; RT-Thread's default 64 */

gcmon_uart_serial_config gcmon_uart_serial_8n1(unsigned baud) {
  gcmon_uart_serial_config c;
  /* stop_bits 0 (one), parity 0 (none), bit_order 0 (LSB), invert 0,
   * flowcontrol 0 (none): only data_bits and bufsz are non-zero. */
  c.baud_rate = (uint32_t)baud;
  c.bits = DATA_BITS_8 | (RX_BUFSZ << 10);
  return c;
}

static int real_open(const char *path, int flags, void *ctx) {
  (void)ctx;
  return open(path, flags);
}

static int real_ioctl(int fd, unsigned long req, void *arg, void *ctx) {
  (void)ctx;
  return ioctl(fd, req, arg);
}

int gcmon_uart_rtsmart_check_path(const char *path, char *err, size_t errlen) {
  if (strcmp(path, GCMON_UART_CONSOLE_PATH) != 0)
    return 0;
  snprintf(err, errlen,
           "--uart %s is RT-Smart's console; use /dev/uart1../dev/uart4 "
           "(routed with FPIOA, see man gcmond)",
           path);
  return GCMON_EINVAL;
}

/* The UART driver does not know this request (so try the other
 * generation): drv_uart.c's default case, -RT_EINVAL. */
static bool unknown_request(int e) {
  return e == EINVAL || e == GCMON_UART_RT_EINVAL;
}

/* No UART driver saw the request: a tty (ENOTTY), or an emulator that
 * cannot translate it (qemu-user: ENOSYS). */
static bool not_a_uart(int e) { return e == ENOTTY || e == ENOSYS; }

int gcmon_uart_rtsmart_open(const char *path, unsigned baud,
                            const gcmon_uart_seam *seam,
                            gcmon_uart_config_kind *kind) {
  static const gcmon_uart_seam real = {real_open, real_ioctl, NULL};
  gcmon_uart_serial_config cfg = gcmon_uart_serial_8n1(baud);
  int fd, e1, e2;

  if (!seam || !seam->open_fn)
    seam = &real;
  fd = seam->open_fn(path, O_RDWR | O_NOCTTY | O_NONBLOCK, seam->ctx);
  if (fd < 0)
    return errno ? -errno : -EIO;
  if (seam->ioctl_fn(fd, GCMON_UART_SET_CONFIG, &cfg, seam->ctx) == 0) {
    *kind = GCMON_UART_CONFIGURED;
    return fd;
  }
  e1 = errno;
  if (unknown_request(e1) || not_a_uart(e1)) {
    if (seam->ioctl_fn(fd, GCMON_UART_SET_CONFIG_2024, &cfg, seam->ctx) == 0) {
      *kind = GCMON_UART_CONFIGURED_2024;
      return fd;
    }
    e2 = errno;
    if (not_a_uart(e1) && not_a_uart(e2)) {
      *kind = GCMON_UART_AS_IS;
      return fd;
    }
    e1 = e2;
  }
  close(fd);
  /* RT-Thread's own EINVAL (10) would read as ECHILD here: say EINVAL. */
  return -(e1 == GCMON_UART_RT_EINVAL || e1 == 0 ? EINVAL : e1);
}
