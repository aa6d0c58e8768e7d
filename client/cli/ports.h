/* Serial devices on this host, for `gcmon ports` and `-t auto`: each
 * /sys/class/tty entry backed by real hardware, its /dev/serial/by-id
 * names, and for USB devices the vendor/product ids and strings, marking
 * those that look like a CanMV board (USB 1209:abd1, or CanMV / K230 /
 * Kendryte / Canaan in the USB strings). GCMON_SYSFS and GCMON_DEVDIR
 * move the roots (/sys, /dev) for tests. */
#ifndef GCMON_CLI_PORTS_H
#define GCMON_CLI_PORTS_H

#include <stdbool.h>
#include <stddef.h>

#define PORTS_MAX 64
#define PORT_TEXT 128

typedef struct port_info {
  char dev[PORT_TEXT];   /* /dev/ttyACM0 */
  char by_id[PORT_TEXT]; /* /dev/serial/by-id/usb-..., "" when none */
  bool usb;
  unsigned vid, pid;
  char manufacturer[64], product[64], serial[64];
  bool canmv;
} port_info;

/* Fill up to max entries sorted by device name; returns the count. */
size_t ports_scan(port_info *out, size_t max);

#endif
