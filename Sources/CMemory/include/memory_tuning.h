// Process-memory calls Swift's Glibc module does not export: glibc's mallopt, and madvise
// over the executable's own mappings.
#ifndef SLUICE_MEMORY_TUNING_H
#define SLUICE_MEMORY_TUNING_H

/// glibc's mallopt(M_MMAP_THRESHOLD, bytes), which Swift's Glibc module does not export.
/// Returns 1 on success, 0 on failure or where the C library is not glibc.
int sluice_malloc_set_mmap_threshold(int bytes);

/// glibc's mallopt(M_TRIM_THRESHOLD, bytes). Returns 1 on success, 0 otherwise.
int sluice_malloc_set_trim_threshold(int bytes);

/// glibc's mallopt(M_ARENA_MAX, count). Returns 1 on success, 0 otherwise.
int sluice_malloc_set_arena_max(int count);

/// Marks the read-only, file-backed mappings of the running executable and of the shared
/// libraries it loaded (their code and constant data) MADV_RANDOM, so a page fault reads no
/// pages ahead, and drops the pages mapped so far (they come back as they are used). A mapping holding private copies
/// (RELRO data) is left alone. Returns the bytes of mappings advised, or -1 where this is
/// not supported.
long sluice_executable_pages_on_demand(void);

#endif
