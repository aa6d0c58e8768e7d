/* Berkeley text/data/bss of an ELF64 file (see bench_elf.h). */
#define _DEFAULT_SOURCE
#include "bench_elf.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int bench_elf_size_of(const char *path, bench_elf_size *out) {
  Elf64_Ehdr eh;
  struct stat st;
  FILE *f = fopen(path, "rb");
  int rc = -1;

  memset(out, 0, sizeof *out);
  if (!f)
    return -1;
  if (fstat(fileno(f), &st) != 0 || fread(&eh, sizeof eh, 1, f) != 1 ||
      memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_shentsize != sizeof(Elf64_Shdr))
    goto out;
  out->file = (uint64_t)st.st_size;
  snprintf(out->machine, sizeof out->machine, "%s",
           eh.e_machine == EM_X86_64    ? "x86-64"
           : eh.e_machine == EM_RISCV   ? "riscv64"
           : eh.e_machine == EM_AARCH64 ? "aarch64"
                                        : "other");
  for (unsigned i = 0; i < eh.e_shnum; i++) {
    Elf64_Shdr sh;
    if (fseek(f, (long)(eh.e_shoff + (uint64_t)i * sizeof sh), SEEK_SET) != 0 ||
        fread(&sh, sizeof sh, 1, f) != 1)
      goto out;
    if (!(sh.sh_flags & SHF_ALLOC))
      continue;
    if (!(sh.sh_flags & SHF_WRITE))
      out->text += sh.sh_size;
    else if (sh.sh_type == SHT_NOBITS)
      out->bss += sh.sh_size;
    else
      out->data += sh.sh_size;
  }
  rc = 0;
out:
  fclose(f);
  return rc;
}
