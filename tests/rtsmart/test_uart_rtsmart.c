/* The RT-Smart UART seam (daemon/transport/uart_rtsmart.c) against boards
 * written from the driver source: drv_uart.c of 2025 firmware answers
 * UART_IOCTL_SET_CONFIG; the Oct-2024 firmware only the 0x40 request and
 * rejects the other with RT-Thread's raw EINVAL (errno 10); a pty knows
 * neither (ENOTTY); uart0 is the console; a device can vanish and return. */
#define _POSIX_C_SOURCE 200809L
#include "gcmon_test.h"
#include "uart_rtsmart.h"

#include "gcmon/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

typedef enum {
  BOARD_2025,
  BOARD_2024,
  BOARD_PTY,
  BOARD_QEMU_USER,
  BOARD_REFUSES
} generation;

typedef struct {
  generation gen;
  bool present;
  int open_flags;
  unsigned long requests[4];
  int nrequests;
  gcmon_uart_serial_config got;
} fake_board;

static int fake_open(const char *path, int flags, void *ctx) {
  fake_board *b = ctx;
  (void)path;
  if (!b->present) {
    errno = ENOENT;
    return -1;
  }
  b->open_flags = flags;
  return open("/dev/null", O_RDWR);
}

static int fake_ioctl(int fd, unsigned long req, void *arg, void *ctx) {
  fake_board *b = ctx;
  (void)fd;
  if (b->nrequests < 4)
    b->requests[b->nrequests++] = req;
  switch (b->gen) {
  case BOARD_2025:
    if (req == GCMON_UART_SET_CONFIG)
      break;
    errno = GCMON_UART_RT_EINVAL;
    return -1;
  case BOARD_2024:
    if (req == GCMON_UART_SET_CONFIG_2024)
      break;
    errno = GCMON_UART_RT_EINVAL;
    return -1;
  case BOARD_PTY:
    errno = ENOTTY;
    return -1;
  case BOARD_QEMU_USER: /* an ioctl it cannot translate */
    errno = ENOSYS;
    return -1;
  case BOARD_REFUSES:
    errno = GCMON_UART_RT_EINVAL;
    return -1;
  }
  b->got = *(const gcmon_uart_serial_config *)arg;
  return 0;
}

static int open_on(fake_board *b, gcmon_uart_config_kind *kind) {
  gcmon_uart_seam seam = {fake_open, fake_ioctl, b};
  return gcmon_uart_rtsmart_open("/dev/uart1", 115200, &seam, kind);
}

TEST(request_numbers_are_the_drivers) {
  ASSERT_EQ(0x40085500ul, GCMON_UART_SET_CONFIG);      /* _IOW('U',0,void*) */
  ASSERT_EQ(0x40045540ul, GCMON_UART_SET_CONFIG_2024); /* _IOW('U',0x40,int) */
}

TEST(config_is_8n1_at_the_baud_with_lsb_first_bit_fields) {
  gcmon_uart_serial_config c = gcmon_uart_serial_8n1(921600);
  ASSERT_EQ(8u, sizeof c);
  ASSERT_EQ(921600u, c.baud_rate);
  ASSERT_EQ(8u, c.bits & 0xfu);           /* data_bits */
  ASSERT_EQ(0u, (c.bits >> 4) & 0x3fu);   /* stop, parity, order, invert */
  ASSERT_TRUE(((c.bits >> 10) & 0xffffu) > 0); /* bufsz */
  ASSERT_EQ(0u, c.bits >> 26);            /* flowcontrol, reserved */
}

TEST(board_of_2025_is_configured_with_uart_ioctl_set_config) {
  fake_board b = {.gen = BOARD_2025, .present = true};
  gcmon_uart_config_kind kind;
  int fd = open_on(&b, &kind);
  ASSERT_TRUE(fd >= 0);
  ASSERT_EQ(GCMON_UART_CONFIGURED, kind);
  ASSERT_EQ(1, b.nrequests);
  ASSERT_EQ(115200u, b.got.baud_rate);
  ASSERT_TRUE((b.open_flags & O_NONBLOCK) != 0);
  ASSERT_EQ(O_RDWR, b.open_flags & O_ACCMODE);
  close(fd);
}

TEST(board_of_oct_2024_is_found_by_falling_back_to_0x40) {
  fake_board b = {.gen = BOARD_2024, .present = true};
  gcmon_uart_config_kind kind;
  int fd = open_on(&b, &kind);
  ASSERT_TRUE(fd >= 0);
  ASSERT_EQ(GCMON_UART_CONFIGURED_2024, kind);
  ASSERT_EQ(2, b.nrequests);
  ASSERT_EQ(GCMON_UART_SET_CONFIG, b.requests[0]);
  ASSERT_EQ(GCMON_UART_SET_CONFIG_2024, b.requests[1]);
  ASSERT_EQ(115200u, b.got.baud_rate);
  close(fd);
}

TEST(device_without_uart_ioctls_is_used_as_it_is) {
  fake_board b = {.gen = BOARD_PTY, .present = true};
  gcmon_uart_config_kind kind;
  int fd = open_on(&b, &kind);
  ASSERT_TRUE(fd >= 0);
  ASSERT_EQ(GCMON_UART_AS_IS, kind);
  close(fd);
}

TEST(device_under_qemu_user_is_used_as_it_is) {
  fake_board b = {.gen = BOARD_QEMU_USER, .present = true};
  gcmon_uart_config_kind kind;
  int fd = open_on(&b, &kind);
  ASSERT_TRUE(fd >= 0);
  ASSERT_EQ(GCMON_UART_AS_IS, kind);
  close(fd);
}

TEST(device_refusing_both_fails_with_einval_not_rt_errno) {
  fake_board b = {.gen = BOARD_REFUSES, .present = true};
  gcmon_uart_config_kind kind;
  ASSERT_EQ(-EINVAL, open_on(&b, &kind));
  ASSERT_EQ(2, b.nrequests);
}

TEST(device_gone_then_back) {
  fake_board b = {.gen = BOARD_2025, .present = false};
  gcmon_uart_config_kind kind;
  int fd;
  ASSERT_EQ(-ENOENT, open_on(&b, &kind));
  ASSERT_EQ(0, b.nrequests);
  b.present = true;
  fd = open_on(&b, &kind);
  ASSERT_TRUE(fd >= 0);
  ASSERT_EQ(GCMON_UART_CONFIGURED, kind);
  close(fd);
}

TEST(uart0_console_is_refused_with_a_clear_message) {
  char err[200] = "";
  ASSERT_EQ(GCMON_EINVAL, gcmon_uart_rtsmart_check_path("/dev/uart0", err,
                                                        sizeof err));
  ASSERT_TRUE(strstr(err, "console") != NULL);
  ASSERT_TRUE(strstr(err, "/dev/uart1") != NULL);
  ASSERT_EQ(0, gcmon_uart_rtsmart_check_path("/dev/uart1", err, sizeof err));
  ASSERT_EQ(0, gcmon_uart_rtsmart_check_path("/dev/uart4", err, sizeof err));
}

#define GCMON_TESTS(X)                                                         \
  X(request_numbers_are_the_drivers)                                           \
  X(config_is_8n1_at_the_baud_with_lsb_first_bit_fields)                       \
  X(board_of_2025_is_configured_with_uart_ioctl_set_config)                    \
  X(board_of_oct_2024_is_found_by_falling_back_to_0x40)                        \
  X(device_without_uart_ioctls_is_used_as_it_is)                               \
  X(device_under_qemu_user_is_used_as_it_is)                                   \
  X(device_refusing_both_fails_with_einval_not_rt_errno)                       \
  X(device_gone_then_back)                                                     \
  X(uart0_console_is_refused_with_a_clear_message)
#include "gcmon_test_main.h"
