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

// R, G, B = clamp(descale(c_x * x + (c_y * y + half) + c_z * z)) for the three rows at once.
__attribute__((target("avx2"))) void lab_to_rgb_loop(const std::int32_t* ytab, const std::int32_t* fytab,
                                                    const std::int32_t* atab, const std::int32_t* btab,
                                                    const std::uint8_t* lab, std::uint8_t* rgb, int pixels) {
  static const InverseGammaBytes bytes;
  const LabInverseTables& t = lab_inverse_tables();
  const std::int32_t* const xz = t.xz.data();
  const std::uint8_t* const inv_gamma = bytes.value;
  const __m128i cx = _mm_setr_epi32(t.c[0], t.c[3], t.c[6], 0), cz = _mm_setr_epi32(t.c[2], t.c[5], t.c[8], 0);
  const __m128i zero = _mm_setzero_si128(), top = _mm_set1_epi32(kInvGammaSize - 1);
  for (int i = 0; i < pixels; ++i) {
    const std::uint8_t* p = lab + 3 * i;
    const int l = p[0], fy = fytab[l];
    const __m128i x = _mm_set1_epi32(xz[fy + atab[p[1]]]), z = _mm_set1_epi32(xz[fy - btab[p[2]]]);
    const __m128i y = _mm_load_si128(reinterpret_cast<const __m128i*>(ytab + 4 * l));
    __m128i s = _mm_add_epi32(_mm_add_epi32(_mm_mullo_epi32(cx, x), y), _mm_mullo_epi32(cz, z));
    s = _mm_min_epi32(_mm_max_epi32(_mm_srai_epi32(s, kLabToRgbShift), zero), top);
    const int r = inv_gamma[_mm_cvtsi128_si32(s)], g = inv_gamma[_mm_extract_epi32(s, 1)];
    const int b = inv_gamma[_mm_extract_epi32(s, 2)];
    rgb[3 * i] = static_cast<std::uint8_t>(r);
    rgb[3 * i + 1] = static_cast<std::uint8_t>(g);
    rgb[3 * i + 2] = static_cast<std::uint8_t>(b);
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
