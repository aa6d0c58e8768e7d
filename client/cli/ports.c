/* Serial device discovery (see ports.h): sysfs and /dev/serial/by-id. */
#define _DEFAULT_SOURCE /* realpath, DT_* */
#include "ports.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *root(const char *env, const char *dflt) {
  const char *v = getenv(env);
  return v && *v ? v : dflt;
}

static bool read_line(const char *dir, const char *name, char *out,
                      size_t cap) {
  char path[PATH_MAX];
  FILE *f;
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
      !(f = fopen(path, "re")))
    return false;
  if (!fgets(out, (int)cap, f))
    out[0] = '\0';
  fclose(f);
  out[strcspn(out, "\r\n")] = '\0';
  return true;
}

static bool contains(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0)
      return true;
  return false;
}

/* Walk up from the tty's device to the USB device holding idVendor. */
static void usb_details(const char *device_link, port_info *p) {
  char dir[PATH_MAX], text[16];
  if (!realpath(device_link, dir))
    return;
  for (int up = 0; up < 4; up++) {
    if (read_line(dir, "idVendor", text, sizeof text)) {
      p->usb = true;
      p->vid = (unsigned)strtoul(text, NULL, 16);
      if (read_line(dir, "idProduct", text, sizeof text))
        p->pid = (unsigned)strtoul(text, NULL, 16);
      read_line(dir, "manufacturer", p->manufacturer, sizeof p->manufacturer);
      read_line(dir, "product", p->product, sizeof p->product);
      read_line(dir, "serial", p->serial, sizeof p->serial);
      return;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
      return;
    *slash = '\0';
  }
}

/* A tty with hardware behind it: a device link whose driver is not the
 * legacy 8250 placeholder (ttyS0..31 exist whether or not a UART does). */
static bool real_device(const char *entry) {
  char link[PATH_MAX], target[PATH_MAX];
  ssize_t n;
  if (snprintf(link, sizeof link, "%s/device/driver", entry) >=
      (int)sizeof link)
    return false;
  n = readlink(link, target, sizeof target - 1);
  if (n < 0)
    return false;
  target[n] = '\0';
  return strstr(target, "serial8250") == NULL;
}

static void find_by_id(const char *devdir, port_info *p) {
  char dir[PATH_MAX], link[PATH_MAX], real[PATH_MAX], want[PATH_MAX];
  DIR *d;
  struct dirent *e;

  if (!realpath(p->dev, want))
    return;
  if (snprintf(dir, sizeof dir, "%s/serial/by-id", devdir) >= (int)sizeof dir ||
      !(d = opendir(dir)))
    return;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (snprintf(link, sizeof link, "%s/%s", dir, e->d_name) >=
            (int)sizeof link ||
        !realpath(link, real))
      continue;
    if (strcmp(real, want) == 0) {
      if (snprintf(p->by_id, sizeof p->by_id, "%s", link) >=
          (int)sizeof p->by_id)
        p->by_id[0] = '\0';
      break;
    }
  }
  closedir(d);
}

static int by_dev(const void *a, const void *b) {
  return strcmp(((const port_info *)a)->dev, ((const port_info *)b)->dev);
}

size_t ports_scan(port_info *out, size_t max) {
  const char *sys = root("GCMON_SYSFS", "/sys");
  const char *devdir = root("GCMON_DEVDIR", "/dev");
  char dir[PATH_MAX], entry[PATH_MAX], link[PATH_MAX];
  size_t n = 0;
  DIR *d;
  struct dirent *e;

  if (snprintf(dir, sizeof dir, "%s/class/tty", sys) >= (int)sizeof dir ||
      !(d = opendir(dir)))
    return 0;
  while ((e = readdir(d)) != NULL && n < max) {
    port_info *p = &out[n];
    if (e->d_name[0] == '.')
      continue;
    if (snprintf(entry, sizeof entry, "%s/%s", dir, e->d_name) >=
            (int)sizeof entry ||
        !real_device(entry))
      continue;
    memset(p, 0, sizeof *p);
    if (snprintf(p->dev, sizeof p->dev, "%s/%s", devdir, e->d_name) >=
            (int)sizeof p->dev ||
        snprintf(link, sizeof link, "%s/device", entry) >= (int)sizeof link)
      continue;
    usb_details(link, p);
    find_by_id(devdir, p);
    p->canmv = (p->vid == 0x1209 && p->pid == 0xabd1) ||
               contains(p->product, "CanMV") || contains(p->product, "K230") ||
               contains(p->manufacturer, "Kendryte") ||
               contains(p->manufacturer, "Canaan");
    n++;
  }
  closedir(d);
  qsort(out, n, sizeof *out, by_dev);
  return n;
}
