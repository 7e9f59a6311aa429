// Follows OpenCV modules/imgproc/src/color_lab.cpp (4.x): Lab2RGBinteger, the 8-bit fixed-point
// path cv::cvtColor takes for COLOR_Lab2RGB, and the tables createLabTabs builds for it
// (sRGBInvGammaTab_b, LabToYF_b, abToXZ_b) with cv::softfloat.
#include "animation/ops/lab_u8.h"

#include <opencv2/core.hpp>
#include <opencv2/core/softfloat.hpp>

#include "animation/ops/lab_u8_tables.h"

namespace k3::ops {
namespace {

using cv::softdouble;
using cv::softfloat;

// The constants color_lab.cpp spells as raw doubles (so that its tables are the same everywhere).
const softdouble kD65[3] = {softdouble::fromRaw(0x3fee6a22b3892ee8), softdouble::one(),
                            softdouble::fromRaw(0x3ff16b8950763a19)};  // 0.950456, 1, 1.088754
const softdouble kXyzToRgb[9] = {
    softdouble::fromRaw(0x4009ec804102ff8f), softdouble::fromRaw(0xbff8982a9930be0e),
    softdouble::fromRaw(0xbfdfe7ff583a53b9), softdouble::fromRaw(0xbfef042528ae74f3),
    softdouble::fromRaw(0x3ffe040f23897204), softdouble::fromRaw(0x3fa546d3f9e7b80b),
    softdouble::fromRaw(0x3fac7de5082cf52c), softdouble::fromRaw(0xbfca1e14bdfd2631),
    softdouble::fromRaw(0x3ff0eabef06b3786)};

// The sRGB curve's inverse (applyInvGamma), in softdouble as OpenCV computes it.
softfloat apply_inv_gamma(softfloat x) {
  const softdouble xd = x;
  const softdouble threshold = softdouble(7827) / softdouble(2500000), low_scale = softdouble(323) / softdouble(25);
  const softdouble power = softdouble(12) / softdouble(5), shift = softdouble(11) / softdouble(200);
  return xd <= threshold ? xd * low_scale : cv::pow(xd, softdouble::one() / power) * (softdouble::one() + shift) - shift;
}

}  // namespace

LabInverseTables::LabInverseTables() : xz(kXZTableSize) {
  for (int i = 0; i < 256; ++i) {
    if (i <= 20) {  // the linear segment of L -> Y
      y[i] = static_cast<std::uint16_t>(cvRound(softfloat(i * kBase * 20 * 9) / softfloat(17 * 29 * 29 * 29)));
      fy[i] = static_cast<std::uint16_t>(
          cvRound(softfloat(kBase) * (softfloat(16) / softfloat(116) + softfloat(i * 5) / softfloat(3 * 17 * 29))));
    } else {
      const softfloat f = softfloat(i * 100 * kBase) / softfloat(255 * 116) + softfloat(16 * kBase) / softfloat(116);
      fy[i] = static_cast<std::uint16_t>(cvRound(f));
      y[i] = static_cast<std::uint16_t>(cvRound(f * f * f / softfloat(kBase * kBase)));
    }
  }
  for (int i = kMinAB; i < kXZTableSize + kMinAB; ++i)  // integer arithmetic, as OpenCV's
    xz[i - kMinAB] = i <= 3390 ? i * 108 / 841 - kBase * 16 / 116 * 108 / 841 : i * i / kBase * i / kBase;
  const softfloat f255(255), inv_scale = softfloat::one() / softfloat(kInvGammaSize);
  for (int i = 0; i < kInvGammaSize; ++i)
    inv_gamma[i] = static_cast<std::uint16_t>(cvRound(f255 * apply_inv_gamma(inv_scale * softfloat(i))));
  const softdouble lshift(1 << kLabShift);
  for (int row = 0; row < 3; ++row)
    for (int col = 0; col < 3; ++col) c[row * 3 + col] = cvRound(lshift * kXyzToRgb[row * 3 + col] * kD65[col]);
}

const LabInverseTables& lab_inverse_tables() {
  static const LabInverseTables t;  // thread-safe initialisation, once per process
  return t;
}

LabToRgbU8::LabToRgbU8(const std::uint8_t* table) {
  const LabInverseTables& t = lab_inverse_tables();
  for (int v = 0; v < 256; ++v) {
    const int l = table ? table[v] : v, a = table ? table[256 + v] : v, b = table ? table[512 + v] : v;
    for (int k = 0; k < 3; ++k) y_[v][k] = t.c[3 * k + 1] * t.y[l] + (1 << (kLabToRgbShift - 1));
    y_[v][3] = t.y[l];
    fy_[v] = t.fy[l] - kMinAB;  // abToXZ_b's index offset folded in
    // OpenCV's approximations of a*BASE/500 and b*BASE/200, offsets included.
    a_[v] = ((5 * a * 53687 + (1 << 7)) >> 13) - 128 * kBase / 500;
    b_[v] = ((b * 41943 + (1 << 4)) >> 9) - 128 * kBase / 200 + 1;
  }
}

void LabToRgbU8::pixel(const std::uint8_t* in, std::uint8_t* out) const {
  const LabInverseTables& t = lab_inverse_tables();
  const int l = in[0], a = in[1], b = in[2];
  const int x = t.xz[fy_[l] + a_[a]], z = t.xz[fy_[l] - b_[b]];
  for (int k = 0; k < 3; ++k) {
    int v = (t.c[3 * k] * x + y_[l][k] + t.c[3 * k + 2] * z) >> kLabToRgbShift;
    v = v < 0 ? 0 : (v > kInvGammaSize - 1 ? kInvGammaSize - 1 : v);
    out[k] = static_cast<std::uint8_t>(t.inv_gamma[v]);
  }
}

void LabToRgbU8::row(const std::uint8_t* lab, std::uint8_t* rgb, int pixels) const {
  if (lab_to_rgb_u8_avx2(&y_[0][0], fy_, a_, b_, lab, rgb, pixels) == 0) row_portable(lab, rgb, pixels);
}

void LabToRgbU8::row_portable(const std::uint8_t* lab, std::uint8_t* rgb, int pixels) const {
  for (int i = 0; i < pixels; ++i) pixel(lab + 3 * i, rgb + 3 * i);
}

}  // namespace k3::ops
