// Byte searches the C library has but Swift's Glibc module does not export (memmem and
// memrchr are GNU extensions, declared only under _GNU_SOURCE). Darwin has memmem; memrchr
// is written out where the C library lacks it.
#ifndef SLUICE_BYTE_SEARCH_H
#define SLUICE_BYTE_SEARCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <string.h>

/// The first occurrence of `needle` in `haystack`, or NULL.
static inline const void *sluice_memmem(const void *haystack, size_t haystack_len, const void *needle,
                                        size_t needle_len) {
  return memmem(haystack, haystack_len, needle, needle_len);
}

/// The last occurrence of byte `c` in the `n` bytes at `s`, or NULL.
static inline const void *sluice_memrchr(const void *s, int c, size_t n) {
#if defined(__GLIBC__)
  return memrchr(s, c, n);
#else
  const unsigned char *p = (const unsigned char *)s + n;
  while (p > (const unsigned char *)s) {
    if (*--p == (unsigned char)c) return p;
  }
  return NULL;
#endif
}

#endif
