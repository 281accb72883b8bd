#include "memory_tuning.h"

#if defined(__linux__)
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

static long advise(unsigned long start, unsigned long end) {
  void *addr = (void *)start;
  size_t len = end - start;
  if (madvise(addr, len, MADV_RANDOM) != 0) return 0;
  (void)madvise(addr, len, MADV_DONTNEED);
  return (long)len;
}

/// The executable, or a shared library it loaded (a file whose name holds ".so").
static int is_code_file(const char *path, const char *exe) {
  if (strcmp(path, exe) == 0) return 1;
  const char *base = strrchr(path, '/');
  return base != NULL && strstr(base, ".so") != NULL;
}

long sluice_executable_pages_on_demand(void) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = 0;
  FILE *smaps = fopen("/proc/self/smaps", "re");
  if (!smaps) return -1;
  char line[4096 + 256];
  long advised = 0;
  // A candidate: a read-only mapping of the executable or of a shared library. It is
  // advised once its `Anonymous:` line shows no private copies: a read-only mapping with
  // some (RELRO data, relocated at load and then made read-only) would lose its
  // relocations if dropped.
  unsigned long start = 0, end = 0;
  int candidate = 0;
  while (fgets(line, sizeof line, smaps)) {
    unsigned long s, e;
    char perms[5];
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &s, &e, perms, &path_at) >= 3 && path_at > 0) {
      char *path = line + path_at;
      path[strcspn(path, "\n")] = 0;
      start = s;
      end = e;
      candidate = is_code_file(path, exe) && perms[0] == 'r' && perms[1] != 'w';
      continue;
    }
    unsigned long anon_kb;
    if (candidate && sscanf(line, "Anonymous: %lu kB", &anon_kb) == 1) {
      if (anon_kb == 0) advised += advise(start, end);
      candidate = 0;
    }
  }
  fclose(smaps);
  return advised;
}
#else
long sluice_executable_pages_on_demand(void) { return -1; }
#endif

#if defined(__GLIBC__)
#include <malloc.h>

int sluice_malloc_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
int sluice_malloc_set_trim_threshold(int bytes) { return mallopt(M_TRIM_THRESHOLD, bytes); }
int sluice_malloc_set_arena_max(int count) { return mallopt(M_ARENA_MAX, count); }
#else
int sluice_malloc_set_mmap_threshold(int bytes) { (void)bytes; return 0; }
int sluice_malloc_set_trim_threshold(int bytes) { (void)bytes; return 0; }
int sluice_malloc_set_arena_max(int count) { (void)count; return 0; }
#endif
