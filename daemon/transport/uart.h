/* UART transport: one serial device, one session, trusted for control
 * (physical access). Opened raw 8N1 at the configured baud, non-blocking,
 * no flow control. If the device disappears (a USB serial adapter
 * unplugged) the session ends, the loss is logged, and the device is
 * reopened every second until it returns; TCP is unaffected. */
#ifndef GCMON_UART_H
#define GCMON_UART_H

#include "agent.h"

#include <uv.h>

typedef struct gcmon_uart gcmon_uart;

/* Open path at baud and start its session. A device that cannot be opened
 * at start is an error (0 or GCMON_E*, one line in err); later losses are
 * retried. */
int gcmon_uart_start(gcmon_uart **out, uv_loop_t *loop, gcmon_agent *agent,
                     const char *path, unsigned baud, char *err, size_t errlen);

/* Close the device and the retry timer; freed once libuv closed them. */
void gcmon_uart_stop(gcmon_uart *u);

/* 0 if baud is one termios supports, GCMON_EINVAL otherwise. */
int gcmon_uart_check_baud(unsigned baud);

#endif
