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

/// The same, one table lookup a byte, for any length (the fallback without SSSE3).
sluice_byte_profile sluice_byte_classes_scalar(const uint8_t *p, size_t n);

// `ByteClasses` bits, and bit 20 for ASCII letters and `_`.
#define SLUICE_BC_DIGIT 0x1u
#define SLUICE_BC_UPPER (0x2u | 0x100000u)
#define SLUICE_BC_LOWER (0x4u | 0x100000u)
#define SLUICE_BC_OTHER 0x8000u

/// Per byte value: its `ByteClasses` bit, and bit 20 for ASCII letters and `_` (ranges are
/// a GNU C extension that Clang has).
static const uint32_t sluice_byte_class_table[256] = {
    [0x00 ... 0x08] = SLUICE_BC_OTHER, ['\t'] = 0x400u,
    [0x0A ... 0x1F] = SLUICE_BC_OTHER, [' '] = 0x400u,
    ['!'] = SLUICE_BC_OTHER, ['"'] = 0x800u,
    ['#' ... '$'] = SLUICE_BC_OTHER, ['%'] = 0x10000u,
    ['&' ... '\''] = SLUICE_BC_OTHER, ['(' ... ')'] = 0x1000u,
    ['*'] = SLUICE_BC_OTHER, ['+'] = 0x100u,
    [','] = SLUICE_BC_OTHER, ['-'] = 0x40u, ['.'] = 0x10u, ['/'] = 0x200u,
    ['0' ... '9'] = SLUICE_BC_DIGIT, [':'] = 0x20u,
    [';' ... '<'] = SLUICE_BC_OTHER, ['='] = 0x80u,
    ['>' ... '?'] = SLUICE_BC_OTHER, ['@'] = 0x8u,
    ['A' ... 'Z'] = SLUICE_BC_UPPER, ['['] = SLUICE_BC_OTHER, ['\\'] = 0x20000u,
    [']' ... '^'] = SLUICE_BC_OTHER, ['_'] = 0x2000u | 0x100000u,
    ['`'] = SLUICE_BC_OTHER, ['a' ... 'z'] = SLUICE_BC_LOWER,
    ['{' ... 0x7F] = SLUICE_BC_OTHER, [0x80 ... 0xFF] = 0x4000u,
};

/// The profile of a text of fewer than 32 bytes, one table lookup a byte: inlined into the
/// caller, for the many short values (levels, names, numbers) where a call and a vector
/// set-up would cost more than the bytes. Digit runs after letters are found with one bit a
/// byte and a carry: adding a run's lowest bit to the digit mask clears the run.
static inline sluice_byte_profile sluice_byte_classes_short(const uint8_t *p, size_t n) {
  uint32_t classes = 0, digit = 0, word = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t x = sluice_byte_class_table[p[i]];
    classes |= x;
    digit |= (x & 1) << i;
    word |= ((x >> 20) & 1) << i;
  }
  uint32_t starts = digit & ~(digit << 1) & ~(word << 1);
  uint32_t standalone = digit & ~(digit + starts);
  sluice_byte_profile r = {classes & ~(1u << 20), (uint32_t)__builtin_popcount(digit),
                           (uint32_t)__builtin_popcount(standalone)};
  return r;
}

#endif
