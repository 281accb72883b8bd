// Byte classes, 16 bytes a step (SSSE3): every class is one or two rectangles of (high
// nibble, low nibble) pairs, so a byte's classes are LO[b & 15] & HI[b >> 4], eight classes to a
// pair of 16-byte tables that PSHUFB looks up 16 bytes at once; "other" is an ASCII byte in
// none of them. Without SSSE3, one lookup a byte in sluice_byte_class_table.
#include "byte_classes.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

sluice_byte_profile sluice_byte_classes_scalar(const uint8_t *p, size_t n) {
  uint32_t classes = 0, d = 0, standalone = 0;
  int prev_digit = 0, prev_word = 0, run_standalone = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t x = sluice_byte_class_table[p[i]];
    classes |= x;
    int digit = x & 1;
    if (digit && !prev_digit) run_standalone = !prev_word;
    d += (uint32_t)digit;
    standalone += (uint32_t)(digit & run_standalone);
    prev_digit = digit;
    prev_word = (x >> 20) & 1;
  }
  sluice_byte_profile r = {classes & ~(1u << 20), d, standalone};
  return r;
}

#if defined(__x86_64__)
// The nibble tables, low then high for each pair. Pair A: bit 0 digit (3, 0-9); 1 A-O
// (4, 1-15); 2 P-Z (5, 0-10); 3 a-o (6, 1-15); 4 p-z (7, 0-10); 5 '@' (4, 0); 6 non-ASCII
// (8-15, any); 7 '_' (5, 15). Pair B: bit 0 '.' (2, 14); 1 ':' (3, 10); 2 '-' (2, 13);
// 3 '=' (3, 13); 4 '+' (2, 11); 5 '/' (2, 15); 6 space (2, 0); 7 tab (0, 9). Pair C: bit 0
// '"' (2, 2); 1 '(' ')' (2, 8-9); 2 '%' (2, 5); 3 '\' (5, 12).
enum { LO_A, HI_A, LO_B, HI_B, LO_C, HI_C };
static const uint8_t NIBBLE[6][16] = {
    [LO_A] = {0x75, 0x5F, 0x5F, 0x5F, 0x5F, 0x5F, 0x5F, 0x5F, 0x5F, 0x5F, 0x5E, 0x4A, 0x4A, 0x4A, 0x4A, 0xCA},
    [HI_A] = {0x00, 0x00, 0x00, 0x01, 0x22, 0x84, 0x08, 0x10, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40},
    [LO_B] = {0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x02, 0x10, 0, 0x0C, 0x01, 0x20},
    [HI_B] = {0x80, 0, 0x75, 0x0A},
    [LO_C] = {[2] = 0x01, [5] = 0x04, [8] = 0x02, [9] = 0x02, [12] = 0x08},
    [HI_C] = {[2] = 0x07, [5] = 0x08},
};

// The three pairs' bits (and whether some byte was in none) as ByteClasses bits.
static uint32_t to_classes(uint32_t a, uint32_t b, uint32_t c, int other) {
  uint32_t r = 0;
  r |= (a & 0x01) ? 1u << 0 : 0;        // digit
  r |= (a & 0x06) ? 1u << 1 : 0;        // upper
  r |= (a & 0x18) ? 1u << 2 : 0;        // lower
  r |= (a & 0x20) ? 1u << 3 : 0;        // @
  r |= (b & 0x3F) << 4;                 // . : - = + /
  r |= (b & 0xC0) ? 1u << 10 : 0;       // space, tab
  r |= (c & 0x03) << 11;                // " ( )
  r |= (a & 0x80) ? 1u << 13 : 0;       // _
  r |= (a & 0x40) ? 1u << 14 : 0;       // non-ASCII
  r |= other ? 1u << 15 : 0;            // other
  r |= (c & 0x0C) << 14;                // % \ (bits 2, 3 to 16, 17)
  return r;
}

// Pair A's letters (both halves of both cases) and '_': the bytes that make a digit run
// after them part of a word (bit 20 of sluice_byte_class_table).
#define WORD_BITS 0x9E

__attribute__((target("ssse3,popcnt"))) static inline uint32_t fold(__m128i x) {
  x = _mm_or_si128(x, _mm_srli_si128(x, 8));
  x = _mm_or_si128(x, _mm_srli_si128(x, 4));
  x = _mm_or_si128(x, _mm_srli_si128(x, 2));
  x = _mm_or_si128(x, _mm_srli_si128(x, 1));
  return (uint32_t)_mm_cvtsi128_si32(x) & 0xFF;
}

__attribute__((target("ssse3,popcnt"))) static sluice_byte_profile classes_ssse3(const uint8_t *p, size_t n) {
  const __m128i low = _mm_set1_epi8(0x0F);
  const __m128i zero = _mm_setzero_si128();
  const __m128i word = _mm_set1_epi8(WORD_BITS);
  const __m128i loA = _mm_loadu_si128((const __m128i *)NIBBLE[LO_A]);
  const __m128i hiA = _mm_loadu_si128((const __m128i *)NIBBLE[HI_A]);
  const __m128i loB = _mm_loadu_si128((const __m128i *)NIBBLE[LO_B]);
  const __m128i hiB = _mm_loadu_si128((const __m128i *)NIBBLE[HI_B]);
  const __m128i loC = _mm_loadu_si128((const __m128i *)NIBBLE[LO_C]);
  const __m128i hiC = _mm_loadu_si128((const __m128i *)NIBBLE[HI_C]);
  __m128i accA = zero, accB = zero, accC = zero;
  unsigned none = 0, d = 0, standalone = 0;
  // Across blocks: whether the byte before the block was a digit, a letter or `_`, and a digit
  // of a standalone run.
  unsigned prev_digit = 0, prev_word = 0, prev_standalone = 0;
  for (size_t i = 0; i < n; i += 16) {
    // The last block is the text's last 16 bytes: its lanes before `i` were seen already
    // (harmless for the classes) and are shifted out of the per-byte masks.
    size_t at = i;
    unsigned skip = 0;
    if (n - i < 16) {
      at = n - 16;
      skip = (unsigned)(16 - (n - i));
    }
    __m128i v = _mm_loadu_si128((const __m128i *)(p + at));
    __m128i lo = _mm_and_si128(v, low);
    __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low);
    __m128i a = _mm_and_si128(_mm_shuffle_epi8(loA, lo), _mm_shuffle_epi8(hiA, hi));
    __m128i b = _mm_and_si128(_mm_shuffle_epi8(loB, lo), _mm_shuffle_epi8(hiB, hi));
    __m128i c = _mm_and_si128(_mm_shuffle_epi8(loC, lo), _mm_shuffle_epi8(hiC, hi));
    accA = _mm_or_si128(accA, a);
    accB = _mm_or_si128(accB, b);
    accC = _mm_or_si128(accC, c);
    none |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(_mm_or_si128(a, b), c), zero));
    // One bit a byte: digits (pair A's bit 0, shifted to the sign bit), letters and `_`.
    unsigned digit = (unsigned)_mm_movemask_epi8(_mm_slli_epi16(a, 7)) >> skip;
    unsigned wordish = (~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(a, word), zero)) & 0xFFFF) >> skip;
    d += (unsigned)__builtin_popcount(digit);
    // Runs of digits starting in this block, those not after a letter or `_`, and the run
    // carried over from the block before if it was standalone; adding a run's lowest bit to
    // the digit mask clears the run, so `digit & ~(digit + starts)` is the standalone runs.
    unsigned starts = digit & ~((digit << 1) | prev_digit);
    unsigned good = starts & ~((wordish << 1) | prev_word);
    good |= digit & prev_digit & prev_standalone;
    unsigned runs = digit & ~(digit + good);
    standalone += (unsigned)__builtin_popcount(runs);
    prev_digit = (digit >> 15) & 1;
    prev_word = (wordish >> 15) & 1;
    prev_standalone = (runs >> 15) & 1;
  }
  sluice_byte_profile r = {to_classes(fold(accA), fold(accB), fold(accC), none != 0), d, standalone};
  return r;
}

static int has_ssse3(void) {
  // 0: not checked yet; 1: no; 2: yes. Racing first calls store the same value.
  static int state = 0;
  int s = __atomic_load_n(&state, __ATOMIC_RELAXED);
  if (s == 0) {
    unsigned eax, ebx, ecx, edx;
    int ok = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSSE3) && (ecx & bit_POPCNT);
    s = ok ? 2 : 1;
    __atomic_store_n(&state, s, __ATOMIC_RELAXED);
  }
  return s == 2;
}
#endif

sluice_byte_profile sluice_byte_classes(const uint8_t *p, size_t n) {
#if defined(__x86_64__)
  if (n >= 16 && has_ssse3()) return classes_ssse3(p, n);
#endif
  return sluice_byte_classes_scalar(p, n);
}
