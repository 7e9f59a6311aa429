// lab_u8.h's conversions 8 pixels at a time with AVX2 gathers: the same integer arithmetic as
// the scalar code (OpenCV color_lab.cpp, RGB2Lab_b and Lab2RGBinteger), in 32-bit lanes.
// Debian's OpenCV 4.6 does these lookups one lane at a time through memory (v_lut); gathers
// and the folded tables make the 8-bit colour match's two conversions several times cheaper.
#include "animation/ops/lab_u8_tables.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

#include <cstring>
#include <vector>

#define K3_AVX2 __attribute__((target("avx2")))

namespace k3::ops {
namespace {

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

// Channel k of pixels 0..3 sits at bytes 3i+k of `lo` (bytes 0..15 of the group); of pixels
// 4..7 at bytes 4+3i+k of `hi` (bytes 8..23), so nothing past the 24 bytes is read.
K3_AVX2 inline __m256i channel(__m128i lo, __m128i hi, int k) {
  const __m128i from_lo = _mm_setr_epi8(k, 3 + k, 6 + k, 9 + k, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m128i from_hi = _mm_setr_epi8(-1, -1, -1, -1, 4 + k, 7 + k, 10 + k, 13 + k, -1, -1, -1, -1, -1, -1, -1, -1);
  return _mm256_cvtepu8_epi32(_mm_or_si128(_mm_shuffle_epi8(lo, from_lo), _mm_shuffle_epi8(hi, from_hi)));
}

K3_AVX2 inline void load8(const std::uint8_t* p, __m256i& c0, __m256i& c1, __m256i& c2) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8));
  c0 = channel(lo, hi, 0);
  c1 = channel(lo, hi, 1);
  c2 = channel(lo, hi, 2);
}

// Three lanes of values in [0,255] -> 24 interleaved bytes, writing nothing past them.
K3_AVX2 inline void store8(std::uint8_t* p, __m256i c0, __m256i c1, __m256i c2) {
  const __m256i packed = _mm256_or_si256(c0, _mm256_or_si256(_mm256_slli_epi32(c1, 8), _mm256_slli_epi32(c2, 16)));
  const __m256i squeeze = _mm256_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1,  //
                                           0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  const __m256i bytes = _mm256_shuffle_epi8(packed, squeeze);
  const __m128i first = _mm256_castsi256_si128(bytes), second = _mm256_extracti128_si256(bytes, 1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), first);  // its last 4 bytes are overwritten next
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p + 12), second);
  const int last = _mm_extract_epi32(second, 2);
  std::memcpy(p + 20, &last, 4);
}

K3_AVX2 inline __m256i clamp(__m256i v, int high) {
  return _mm256_min_epi32(_mm256_max_epi32(v, _mm256_setzero_si256()), _mm256_set1_epi32(high));
}

K3_AVX2 inline __m256i gather(const std::int32_t* table, __m256i index) {
  return _mm256_i32gather_epi32(reinterpret_cast<const int*>(table), index, 4);
}

// CV_DESCALE(c0*p + c1*q + c2*r, shift) with 16-bit products summed in pairs (madd), as
// OpenCV's RGB2Lab_b vector code: p|q<<16 and r|half<<16 against c0|c1<<16 and c2|1<<16.
K3_AVX2 inline __m256i descale3(__m256i pq, __m256i r_half, const std::int32_t* c, int shift) {
  const __m256i c01 = _mm256_set1_epi32((c[1] << 16) | (c[0] & 0xffff));
  const __m256i c2one = _mm256_set1_epi32((1 << 16) | (c[2] & 0xffff));
  return _mm256_srli_epi32(_mm256_add_epi32(_mm256_madd_epi16(pq, c01), _mm256_madd_epi16(r_half, c2one)), shift);
}

}  // namespace

// Per channel value, the three products of one column of the matrix as one 128-bit vector
// (x, y, z, 0): a pixel's X, Y, Z are then two vector additions. Gathers would be shorter code,
// but with the Gather Data Sampling mitigation they measured slower than scalar loads here.
struct ForwardVectors {
  alignas(16) std::int32_t column[3][256][4];
  ForwardVectors() {
    const LabForwardTables& t = lab_forward_tables();
    for (int c = 0; c < 3; ++c)
      for (int v = 0; v < 256; ++v) {
        column[c][v][0] = t.x[c][v];
        column[c][v][1] = t.y[c][v];
        column[c][v][2] = t.z[c][v];
        column[c][v][3] = 0;
      }
  }
};

// For Lab -> RGB: sRGBInvGammaTab_b as bytes (its values are at most 255).
struct InverseBytes {
  std::uint8_t inv_gamma[kInvGammaSize];
  InverseBytes() {
    const LabInverseTables& t = lab_inverse_tables();
    for (int i = 0; i < kInvGammaSize; ++i) inv_gamma[i] = static_cast<std::uint8_t>(t.inv_gamma[i]);
  }
};

K3_AVX2 inline __m128i load4(const std::int32_t* p) { return _mm_load_si128(reinterpret_cast<const __m128i*>(p)); }

K3_AVX2 static int rgb_to_lab_avx2_loop(const std::uint8_t* rgb, std::uint8_t* lab, int pixels) {
  static const ForwardVectors v;
  const LabForwardTables& t = lab_forward_tables();
  const __m128i half = _mm_set1_epi32(1 << (kLabShift - 1));
  constexpr int kHalf2 = 1 << (kLabShift2 - 1);
  constexpr int kLOffset = -((16 * 255 * (1 << kLabShift2) + 50) / 100) + kHalf2, kLScale = (116 * 255 + 50) / 100;
  constexpr int kABOffset = 128 * (1 << kLabShift2) + kHalf2;
  for (int i = 0; i < pixels; ++i) {
    const std::uint8_t* p = rgb + 3 * i;
    __m128i s = _mm_add_epi32(_mm_add_epi32(load4(v.column[0][p[0]]), load4(v.column[1][p[1]])),
                              _mm_add_epi32(load4(v.column[2][p[2]]), half));
    s = _mm_srli_epi32(s, kLabShift);
    const int fx = t.cbrt[_mm_cvtsi128_si32(s)], fy = t.cbrt[_mm_extract_epi32(s, 1)], fz = t.cbrt[_mm_extract_epi32(s, 2)];
    const int l = (kLScale * fy + kLOffset) >> kLabShift2;
    const int a = (500 * (fx - fy) + kABOffset) >> kLabShift2, b = (200 * (fy - fz) + kABOffset) >> kLabShift2;
    lab[3 * i] = static_cast<std::uint8_t>(l < 0 ? 0 : (l > 255 ? 255 : l));
    lab[3 * i + 1] = static_cast<std::uint8_t>(a < 0 ? 0 : (a > 255 ? 255 : a));
    lab[3 * i + 2] = static_cast<std::uint8_t>(b < 0 ? 0 : (b > 255 ? 255 : b));
  }
  return pixels;
}

// R, G, B = descale(c_x * x + y column + c_z * z) for the three rows at once: x and z are
// scalar loads from abToXZ_b (147 KB, stays in L2), broadcast and multiplied as 4 lanes.
K3_AVX2 static int lab_to_rgb_avx2_loop(const std::int32_t* ytab, const std::int32_t* fytab, const std::int32_t* atab,
                                        const std::int32_t* btab, const std::uint8_t* lab, std::uint8_t* rgb,
                                        int pixels) {
  static const InverseBytes bytes;
  const LabInverseTables& t = lab_inverse_tables();
  const std::int32_t* const xz = t.xz.data();
  const std::uint8_t* const inv_gamma = bytes.inv_gamma;
  const __m128i cx = _mm_setr_epi32(t.c[0], t.c[3], t.c[6], 0), cz = _mm_setr_epi32(t.c[2], t.c[5], t.c[8], 0);
  const __m128i zero = _mm_setzero_si128(), top = _mm_set1_epi32(kInvGammaSize - 1);
  for (int i = 0; i < pixels; ++i) {
    const std::uint8_t* p = lab + 3 * i;
    const int l = p[0], fy = fytab[l];
    const __m128i x = _mm_set1_epi32(xz[fy + atab[p[1]]]), z = _mm_set1_epi32(xz[fy - btab[p[2]]]);
    __m128i s = _mm_add_epi32(_mm_add_epi32(_mm_mullo_epi32(cx, x), _mm_mullo_epi32(cz, z)), load4(ytab + 4 * l));
    s = _mm_min_epi32(_mm_max_epi32(_mm_srai_epi32(s, kLabToRgbShift), zero), top);
    const int r = inv_gamma[_mm_cvtsi128_si32(s)], g = inv_gamma[_mm_extract_epi32(s, 1)];
    const int b = inv_gamma[_mm_extract_epi32(s, 2)];
    rgb[3 * i] = static_cast<std::uint8_t>(r);
    rgb[3 * i + 1] = static_cast<std::uint8_t>(g);
    rgb[3 * i + 2] = static_cast<std::uint8_t>(b);
  }
  return pixels;
}

int rgb_to_lab_u8_avx2(const std::uint8_t* rgb, std::uint8_t* lab, int pixels) {
  return have_avx2() ? rgb_to_lab_avx2_loop(rgb, lab, pixels) : 0;
}

int lab_to_rgb_u8_avx2(const std::int32_t* y, const std::int32_t* fy, const std::int32_t* a, const std::int32_t* b,
                       const std::uint8_t* lab, std::uint8_t* rgb, int pixels) {
  return have_avx2() ? lab_to_rgb_avx2_loop(y, fy, a, b, lab, rgb, pixels) : 0;
}

}  // namespace k3::ops

#else  // not GCC/clang on x86-64: the scalar code does everything

namespace k3::ops {
int rgb_to_lab_u8_avx2(const std::uint8_t*, std::uint8_t*, int) { return 0; }
int lab_to_rgb_u8_avx2(const std::int32_t*, const std::int32_t*, const std::int32_t*, const std::int32_t*,
                       const std::uint8_t*, std::uint8_t*, int) {
  return 0;
}
}  // namespace k3::ops

#endif
