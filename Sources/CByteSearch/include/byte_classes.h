// The redactor's prefilter: which classes of bytes a text contains, and how many ASCII
// digits, 16 bytes a step where the CPU allows (SSSE3 on x86-64), one byte a step elsewhere.
#ifndef SLUICE_BYTE_CLASSES_H
#define SLUICE_BYTE_CLASSES_H

#include <stddef.h>
#include <stdint.h>

/// The classes present in the `n` bytes at `p`, as the bits of Swift's `ByteClasses`
/// (digit 0, upper 1, lower 2, `@` 3, `.` 4, `:` 5, `-` 6, `=` 7, `+` 8, `/` 9, space or tab 10,
/// `"` 11, parenthesis 12, `_` 13, non-ASCII 14, any other byte 15, `%` 16, `\` 17), and in
/// `*digits` the number of bytes `0`–`9`.
uint32_t sluice_byte_classes(const uint8_t *p, size_t n, size_t *digits);

/// The same, one byte at a time (the fallback, and the reference the vector path is tested
/// against).
uint32_t sluice_byte_classes_scalar(const uint8_t *p, size_t n, size_t *digits);

#endif
