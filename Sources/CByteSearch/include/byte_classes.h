// The redactor's prefilter: which classes of bytes a text contains and how many ASCII
// digits, 16 bytes a step where the CPU allows (SSSE3 on x86-64), one byte a step elsewhere.
#ifndef SLUICE_BYTE_CLASSES_H
#define SLUICE_BYTE_CLASSES_H

#include <stddef.h>
#include <stdint.h>

/// What one pass over a text found.
typedef struct {
  /// The classes present, as the bits of Swift's `ByteClasses` (digit 0, upper 1, lower 2,
  /// `@` 3, `.` 4, `:` 5, `-` 6, `=` 7, `+` 8, `/` 9, space or tab 10, `"` 11, parenthesis 12,
  /// `_` 13, non-ASCII 14, any other byte 15, `%` 16, `\` 17).
  uint32_t classes;
  /// Bytes `0`–`9`.
  uint32_t digits;
  /// Digits in runs that do not follow an ASCII letter or `_` (not the tail of a word such
  /// as `v2` or `dcac3`).
  uint32_t standalone_digits;
} sluice_byte_profile;

/// The profile of the `n` bytes at `p` (16 bytes a step from 16 bytes on; shorter texts are
/// better served by an inlined table lookup, as Swift's `ByteClasses.scan` does).
sluice_byte_profile sluice_byte_classes(const uint8_t *p, size_t n);

/// The same, one byte at a time (the fallback, and what the vector path is tested against).
sluice_byte_profile sluice_byte_classes_scalar(const uint8_t *p, size_t n);

#endif
