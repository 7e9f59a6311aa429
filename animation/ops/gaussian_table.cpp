// Inverse normal CDF: P. J. Acklam's rational approximation refined by one Halley step with
// std::erfc (accurate to double precision); no reference code followed.
#include "animation/ops/gaussian_table.h"

#include <cmath>
#include <cstddef>
#include <vector>

namespace k3::ops {
namespace {

constexpr int kTableBits = 16;
constexpr int kTableSize = 1 << kTableBits;

double inverse_normal_cdf(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double p_low = 0.02425;
  double x;
  if (p < p_low) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else if (p <= 1.0 - p_low) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  } else {
    const double q = std::sqrt(-2.0 * std::log(1.0 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  // One Halley step on Phi(x) - p.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2.0 * 3.14159265358979323846) * std::exp(x * x / 2.0);
  return x - u / (1.0 + x * u / 2.0);
}

std::vector<float> build_table() {
  std::vector<float> table(kTableSize);
  for (int i = 0; i < kTableSize; ++i)
    table[i] = static_cast<float>(inverse_normal_cdf((i + 0.5) / kTableSize));
  return table;
}

}  // namespace

const float* gaussian_quantile_table() {
  static const std::vector<float> table = build_table();  // thread-safe initialisation
  return table.data();
}

// One word at a time: hash, then its four 16-bit parts through the table. Plain scalar code:
// an earlier version hashed 256 words per block in a vectorised loop (AVX2 has no 64-bit
// multiply, so each was emulated) and measured twice as slow as this one on the development
// machine (3M samples: 4.6 against 2.2 ms, one core, same values).
void fill_gaussian(std::uint64_t stream_seed, float* out, int count) {
  const float* table = gaussian_quantile_table();
  const int full_words = count / 4;
  for (int j = 0; j < full_words; ++j) {
    const std::uint64_t word = mix64(stream_seed + static_cast<std::uint64_t>(j) * 0x9E3779B97F4A7C15ull);
    float* o = out + 4 * static_cast<std::ptrdiff_t>(j);
    o[0] = table[word & 0xFFFF];
    o[1] = table[(word >> 16) & 0xFFFF];
    o[2] = table[(word >> 32) & 0xFFFF];
    o[3] = table[word >> 48];
  }
  const int rest = count - 4 * full_words;  // the last word's first parts
  if (rest > 0) {
    const std::uint64_t word = mix64(stream_seed + static_cast<std::uint64_t>(full_words) * 0x9E3779B97F4A7C15ull);
    for (int part = 0; part < rest; ++part) out[4 * full_words + part] = table[(word >> (16 * part)) & 0xFFFF];
  }
}

}  // namespace k3::ops
