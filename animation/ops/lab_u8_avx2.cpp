// lab_u8.h's Lab -> RGB with the three output channels as lanes of one vector: the same
// integer arithmetic as the portable loop (OpenCV color_lab.cpp, Lab2RGBinteger). x and z are
// scalar loads from abToXZ_b (147 KB, stays in L2); AVX2 gathers would be shorter, but with the
// Gather Data Sampling mitigation they measured slower than scalar loads on this machine.
#include "animation/ops/lab_u8_tables.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>

namespace k3::ops {
namespace {

bool have_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

// sRGBInvGammaTab_b as bytes (its values are at most 255).
struct InverseGammaBytes {
  std::uint8_t value[kInvGammaSize];
  InverseGammaBytes() {
    const LabInverseTables& t = lab_inverse_tables();
    for (int i = 0; i < kInvGammaSize; ++i) value[i] = static_cast<std::uint8_t>(t.inv_gamma[i]);
  }
};

// Eight pixels at a time: their x, y, z (table lookups, one pixel after another) go through a
// small buffer into 8-lane vectors, where R, G, B = clamp(descale(c_x*x + c_y*y + half + c_z*z))
// are computed for the eight at once; then the inverse gamma table, one value after another.
// The remaining pixels (fewer than 8) go one at a time with the three rows as lanes.
__attribute__((target("avx2"))) void lab_to_rgb_loop(const std::int32_t* ytab, const std::int32_t* fytab,
                                                    const std::int32_t* atab, const std::int32_t* btab,
                                                    const std::uint8_t* lab, std::uint8_t* rgb, int pixels) {
  static const InverseGammaBytes bytes;
  const LabInverseTables& t = lab_inverse_tables();
  const std::int32_t* const xz = t.xz.data();
  const std::uint8_t* const inv_gamma = bytes.value;
  const __m256i zero = _mm256_setzero_si256(), top = _mm256_set1_epi32(kInvGammaSize - 1);
  alignas(32) std::int32_t x8[8], y8[8], z8[8], out[3][8];
  int i = 0;
  for (; i + 8 <= pixels; i += 8) {
    const std::uint8_t* p = lab + 3 * i;
    for (int j = 0; j < 8; ++j) {
      const int l = p[3 * j], fy = fytab[l];
      x8[j] = xz[fy + atab[p[3 * j + 1]]];
      y8[j] = ytab[4 * l + 3];  // the 4th lane of LabToRgbU8's y vectors: Y itself
      z8[j] = xz[fy - btab[p[3 * j + 2]]];
    }
    const __m256i x = _mm256_load_si256(reinterpret_cast<const __m256i*>(x8));
    const __m256i y = _mm256_load_si256(reinterpret_cast<const __m256i*>(y8));
    const __m256i z = _mm256_load_si256(reinterpret_cast<const __m256i*>(z8));
    for (int k = 0; k < 3; ++k) {
      __m256i v = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_set1_epi32(t.c[3 * k]), x),
                                   _mm256_mullo_epi32(_mm256_set1_epi32(t.c[3 * k + 1]), y));
      v = _mm256_add_epi32(_mm256_add_epi32(v, _mm256_set1_epi32(1 << (kLabToRgbShift - 1))),
                           _mm256_mullo_epi32(_mm256_set1_epi32(t.c[3 * k + 2]), z));
      v = _mm256_min_epi32(_mm256_max_epi32(_mm256_srai_epi32(v, kLabToRgbShift), zero), top);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out[k]), v);
    }
    std::uint8_t* d = rgb + 3 * i;
    for (int j = 0; j < 8; ++j) {
      d[3 * j] = inv_gamma[out[0][j]];
      d[3 * j + 1] = inv_gamma[out[1][j]];
      d[3 * j + 2] = inv_gamma[out[2][j]];
    }
  }
  const __m128i cx = _mm_setr_epi32(t.c[0], t.c[3], t.c[6], 0), cz = _mm_setr_epi32(t.c[2], t.c[5], t.c[8], 0);
  for (; i < pixels; ++i) {
    const std::uint8_t* p = lab + 3 * i;
    const int l = p[0], fy = fytab[l];
    const __m128i x = _mm_set1_epi32(xz[fy + atab[p[1]]]), z = _mm_set1_epi32(xz[fy - btab[p[2]]]);
    const __m128i y = _mm_load_si128(reinterpret_cast<const __m128i*>(ytab + 4 * l));
    __m128i s = _mm_add_epi32(_mm_add_epi32(_mm_mullo_epi32(cx, x), y), _mm_mullo_epi32(cz, z));
    s = _mm_min_epi32(_mm_max_epi32(_mm_srai_epi32(s, kLabToRgbShift), _mm_setzero_si128()),
                      _mm_set1_epi32(kInvGammaSize - 1));
    rgb[3 * i] = inv_gamma[_mm_cvtsi128_si32(s)];
    rgb[3 * i + 1] = inv_gamma[_mm_extract_epi32(s, 1)];
    rgb[3 * i + 2] = inv_gamma[_mm_extract_epi32(s, 2)];
  }
}

}  // namespace

int lab_to_rgb_u8_avx2(const std::int32_t* y, const std::int32_t* fy, const std::int32_t* a, const std::int32_t* b,
                       const std::uint8_t* lab, std::uint8_t* rgb, int pixels) {
  if (!have_avx2()) return 0;
  lab_to_rgb_loop(y, fy, a, b, lab, rgb, pixels);
  return pixels;
}

}  // namespace k3::ops

#else  // not GCC/clang on x86-64: the portable loop does everything

namespace k3::ops {
int lab_to_rgb_u8_avx2(const std::int32_t*, const std::int32_t*, const std::int32_t*, const std::int32_t*,
                       const std::uint8_t*, std::uint8_t*, int) {
  return 0;
}
}  // namespace k3::ops

#endif
