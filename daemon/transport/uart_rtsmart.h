/* Opening an RT-Smart UART (/dev/uart1../dev/uart4 on the CanMV K230) for
 * the rtsmart configuration, behind an ioctl seam so tests can answer as
 * either firmware generation does.
 *
 * RT-Smart's serial driver has no termios (TCGETS/TCSETS fall to the
 * driver's default case, EINVAL), and no FIONBIO. The device is opened
 * O_NONBLOCK and configured with one ioctl carrying struct serial_configure
 * (canmv-k230/rtsmart components/drivers/include/drivers/serial.h, v1
 * serial; kernel/bsp/maix3/drivers/interdrv/uart/drv_uart.c):
 *
 *   UART_IOCTL_SET_CONFIG  _IOW('U', 0, void *)   2025 firmware
 *   (Oct 2024 firmware)    _IOW('U', 0x40, int)   CanMV machine.UART then
 *
 * The newer request is tried first; a board that rejects it (EINVAL, or
 * RT-Thread's raw error number 10 that sys_ioctl hands back unchanged) is
 * asked the older one. A device whose answer to both is not the driver's
 * "unknown request" but ENOTTY (a pty when testing on Linux) or ENOSYS
 * (qemu-user, which passes no unknown ioctl on) is not an RT-Smart UART: it
 * is used as it is, and the result says so.
 *
 * /dev/uart0 is RT-Smart's console and is refused; the MicroPython REPL
 * runs over USB CDC, not a /dev/uartN. */
#ifndef GCMON_UART_RTSMART_H
#define GCMON_UART_RTSMART_H

#include <stddef.h>
#include <stdint.h>

/* _IOW(type, nr, size) spelled out (dir 1 = write, 64-bit pointer), so the
 * numbers do not depend on the build host's <sys/ioctl.h>. */
#define GCMON_UART_IOW(nr, size)                                               \
  ((1ul << 30) | ((unsigned long)(size) << 16) | ((unsigned long)'U' << 8) |   \
   (unsigned long)(nr))
#define GCMON_UART_SET_CONFIG      GCMON_UART_IOW(0, 8)    /* 0x40085500 */
#define GCMON_UART_SET_CONFIG_2024 GCMON_UART_IOW(0x40, 4) /* 0x40045540 */

#define GCMON_UART_RT_EINVAL 10 /* RT-Thread's EINVAL, as errno */
#define GCMON_UART_DEFAULT_PATH "/dev/uart1"
#define GCMON_UART_CONSOLE_PATH "/dev/uart0"

/* struct serial_configure, as the riscv64 kernel lays it out: a 32-bit
 * baud rate, then one 32-bit word of bit-fields, lowest first: data_bits:4,
 * stop_bits:2, parity:2, bit_order:1, invert:1, bufsz:16, flowcontrol:1,
 * reserved:5. */
typedef struct gcmon_uart_serial_config {
  uint32_t baud_rate;
  uint32_t bits;
} gcmon_uart_serial_config;

/* 8N1, LSB first, not inverted, no flow control, the driver's buffer. */
gcmon_uart_serial_config gcmon_uart_serial_8n1(unsigned baud);

typedef struct gcmon_uart_seam {
  int (*open_fn)(const char *path, int flags, void *ctx); /* fd or -1/errno */
  int (*ioctl_fn)(int fd, unsigned long req, void *arg, void *ctx);
  void *ctx; /* NULL fns: the real open(2) and ioctl(2) */
} gcmon_uart_seam;

typedef enum {
  GCMON_UART_CONFIGURED,      /* UART_IOCTL_SET_CONFIG */
  GCMON_UART_CONFIGURED_2024, /* the Oct-2024 request */
  GCMON_UART_AS_IS            /* not an RT-Smart UART (ENOTTY, ENOSYS) */
} gcmon_uart_config_kind;

/* 0, or GCMON_EINVAL with one line in err when path is the console. */
int gcmon_uart_rtsmart_check_path(const char *path, char *err, size_t errlen);

/* Open path O_RDWR|O_NONBLOCK and configure baud 8N1: the fd, or -errno
 * (the open's, or the configuring ioctl's). *kind says how it went. */
int gcmon_uart_rtsmart_open(const char *path, unsigned baud,
                            const gcmon_uart_seam *seam,
                            gcmon_uart_config_kind *kind);

#endif
