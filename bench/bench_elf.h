/* Size of an executable the way `size` (Berkeley format) reports it, read
 * from its section headers with no tool: text = allocated read-only
 * sections (code and constants), data = allocated writable sections with
 * contents, bss = allocated writable sections without. ELF64 little-endian
 * only (x86-64, riscv64). */
#ifndef GCMON_BENCH_ELF_H
#define GCMON_BENCH_ELF_H

#include <stdint.h>

typedef struct {
  uint64_t file, text, data, bss;
  char machine[16]; /* "x86-64", "riscv64", ... */
} bench_elf_size;

/* 0, or -1 when path is not a readable ELF64 LE file. */
int bench_elf_size_of(const char *path, bench_elf_size *out);

#endif
