// Follows OpenCV modules/imgproc/src/color_lab.cpp (4.x): RGB2Lab_b and Lab2RGBinteger, the
// 8-bit fixed-point paths cv::cvtColor takes for sRGB, and the tables createLabTabs builds for
// them (sRGBGammaTab_b, LabCbrtTab_b, sRGBInvGammaTab_b, LabToYF_b, abToXZ_b) with cv::softfloat.
#include "animation/ops/lab_u8.h"

#include <algorithm>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/softfloat.hpp>

#include "animation/ops/lab_u8_tables.h"

namespace k3::ops {
namespace {

using cv::softdouble;
using cv::softfloat;

// The constants color_lab.cpp spells as integers (so that its tables are the same everywhere).
const softdouble kD65[3] = {softdouble::fromRaw(0x3fee6a22b3892ee8), softdouble::one(),
                            softdouble::fromRaw(0x3ff16b8950763a19)};  // 0.950456, 1, 1.088754
const softdouble kRgbToXyz[9] = {
    softdouble::fromRaw(0x3fda65a14488c60d), softdouble::fromRaw(0x3fd6e297396d0918),
    softdouble::fromRaw(0x3fc71819d2391d58), softdouble::fromRaw(0x3fcb38cda6e75ff6),
    softdouble::fromRaw(0x3fe6e297396d0918), softdouble::fromRaw(0x3fb279aae6c8f755),
    softdouble::fromRaw(0x3f93cc4ac6cdaf4b), softdouble::fromRaw(0x3fbe836eb4e98138),
    softdouble::fromRaw(0x3fee68427418d691)};
const softdouble kXyzToRgb[9] = {
    softdouble::fromRaw(0x4009ec804102ff8f), softdouble::fromRaw(0xbff8982a9930be0e),
    softdouble::fromRaw(0xbfdfe7ff583a53b9), softdouble::fromRaw(0xbfef042528ae74f3),
    softdouble::fromRaw(0x3ffe040f23897204), softdouble::fromRaw(0x3fa546d3f9e7b80b),
    softdouble::fromRaw(0x3fac7de5082cf52c), softdouble::fromRaw(0xbfca1e14bdfd2631),
    softdouble::fromRaw(0x3ff0eabef06b3786)};

softfloat apply_gamma(softfloat x) {
  const softdouble xd = x;
  const softdouble threshold = softdouble(809) / softdouble(20000), low_scale = softdouble(323) / softdouble(25);
  const softdouble power = softdouble(12) / softdouble(5), shift = softdouble(11) / softdouble(200);
  return xd <= threshold ? xd / low_scale : cv::pow((xd + shift) / (softdouble::one() + shift), power);
}

softfloat apply_inv_gamma(softfloat x) {
  const softdouble xd = x;
  const softdouble threshold = softdouble(7827) / softdouble(2500000), low_scale = softdouble(323) / softdouble(25);
  const softdouble power = softdouble(12) / softdouble(5), shift = softdouble(11) / softdouble(200);
  return xd <= threshold ? xd * low_scale : cv::pow(xd, softdouble::one() / power) * (softdouble::one() + shift) - shift;
}

}  // namespace

LabForwardTables::LabForwardTables() {
  {
    const softfloat f255(255), lthresh = softfloat(216) / softfloat(24389);
    const softfloat lscale = softfloat(841) / softfloat(108), lbias = softfloat(16) / softfloat(116);
    const softfloat int_scale(255 * 8);
    for (int i = 0; i < 256; ++i) gamma[i] = static_cast<std::uint16_t>(cvRound(int_scale * apply_gamma(softfloat(i) / f255)));
    const softdouble lshift(1 << kLabShift);
    std::int32_t (*rows[3])[256] = {x, y, z};
    for (int row = 0; row < 3; ++row)
      for (int channel = 0; channel < 3; ++channel) {
        const int c = coeff[row * 3 + channel] = cvRound(lshift * kRgbToXyz[row * 3 + channel] / kD65[row]);
        for (int v = 0; v < 256; ++v) rows[row][channel][v] = gamma[v] * c;
      }
    const softfloat scale = softfloat::one() / softfloat(255 * 8), lshift2(1 << kLabShift2);
    for (int i = 0; i < kCbrtTableSize; ++i) {
      const softfloat t = scale * softfloat(i);
      cbrt[i] = static_cast<std::uint16_t>(cvRound(lshift2 * (t < lthresh ? cv::mulAdd(t, lscale, lbias) : cv::cbrt(t))));
    }
  }
}

LabInverseTables::LabInverseTables() : xz(kXZTableSize) {
  {
    for (int i = 0; i < 256; ++i) {
      if (i <= 20) {
        y[i] = static_cast<std::uint16_t>(cvRound(softfloat(i * kBase * 20 * 9) / softfloat(17 * 29 * 29 * 29)));
        fy[i] = static_cast<std::uint16_t>(cvRound(softfloat(kBase) * (softfloat(16) / softfloat(116) +
                                                                         softfloat(i * 5) / softfloat(3 * 17 * 29))));
      } else {
        const softfloat f = softfloat(i * 100 * kBase) / softfloat(255 * 116) + softfloat(16 * kBase) / softfloat(116);
        fy[i] = static_cast<std::uint16_t>(cvRound(f));
        y[i] = static_cast<std::uint16_t>(cvRound(f * f * f / softfloat(kBase * kBase)));
      }
    }
    for (int i = kMinAB; i < kXZTableSize + kMinAB; ++i)
      xz[i - kMinAB] = i <= 3390 ? i * 108 / 841 - kBase * 16 / 116 * 108 / 841 : i * i / kBase * i / kBase;
    const softfloat f255(255), inv_scale = softfloat::one() / softfloat(kInvGammaSize);
    for (int i = 0; i < kInvGammaSize; ++i)
      inv_gamma[i] = static_cast<std::uint16_t>(cvRound(f255 * apply_inv_gamma(inv_scale * softfloat(i))));
    const softdouble lshift(1 << kLabShift);
    for (int row = 0; row < 3; ++row)
      for (int col = 0; col < 3; ++col) c[row * 3 + col] = cvRound(lshift * kXyzToRgb[row * 3 + col] * kD65[col]);
  }
}

const LabForwardTables& lab_forward_tables() {
  static const LabForwardTables t;
  return t;
}

const LabInverseTables& lab_inverse_tables() {
  static const LabInverseTables t;
  return t;
}

namespace {

inline std::uint8_t saturate_u8(int v) { return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v)); }

constexpr int kHalf = 1 << (kLabShift - 1), kHalf2 = 1 << (kLabShift2 - 1);
constexpr int kLScale = (116 * 255 + 50) / 100, kLShift = -((16 * 255 * (1 << kLabShift2) + 50) / 100);
constexpr int kABOffset = 128 * (1 << kLabShift2) + kHalf2;

// One pixel each way, OpenCV's scalar arithmetic (the tails of the vector loops, and CPUs
// without AVX2).
inline void forward_pixel(const LabForwardTables& t, const std::uint8_t* in, std::uint8_t* out) {
  const int r = in[0], g = in[1], b = in[2];
  const int fx = t.cbrt[(t.x[0][r] + t.x[1][g] + t.x[2][b] + kHalf) >> kLabShift];
  const int fy = t.cbrt[(t.y[0][r] + t.y[1][g] + t.y[2][b] + kHalf) >> kLabShift];
  const int fz = t.cbrt[(t.z[0][r] + t.z[1][g] + t.z[2][b] + kHalf) >> kLabShift];
  out[0] = saturate_u8((kLScale * fy + kLShift + kHalf2) >> kLabShift2);
  out[1] = saturate_u8((500 * (fx - fy) + kABOffset) >> kLabShift2);
  out[2] = saturate_u8((200 * (fy - fz) + kABOffset) >> kLabShift2);
}

}  // namespace

void rgb_to_lab_u8_row(const std::uint8_t* rgb, std::uint8_t* lab, int pixels) {
  const int done = rgb_to_lab_u8_avx2(rgb, lab, pixels);
  rgb_to_lab_u8_row_portable(rgb + 3 * done, lab + 3 * done, pixels - done);
}

void rgb_to_lab_u8_row_portable(const std::uint8_t* rgb, std::uint8_t* lab, int pixels) {
  const LabForwardTables& t = lab_forward_tables();
  for (int i = 0; i < pixels; ++i) forward_pixel(t, rgb + 3 * i, lab + 3 * i);
}

LabToRgbU8::LabToRgbU8(const std::uint8_t* table) {
  const LabInverseTables& t = lab_inverse_tables();
  for (int v = 0; v < 256; ++v) {
    const int l = table ? table[v] : v, a = table ? table[256 + v] : v, b = table ? table[512 + v] : v;
    for (int k = 0; k < 3; ++k) y_[v][k] = t.c[3 * k + 1] * t.y[l] + (1 << (kLabToRgbShift - 1));
    y_[v][3] = 0;
    fy_[v] = t.fy[l] - kMinAB;  // abToXZ_b's index offset folded in
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
  const int done = lab_to_rgb_u8_avx2(&y_[0][0], fy_, a_, b_, lab, rgb, pixels);
  row_portable(lab + 3 * done, rgb + 3 * done, pixels - done);
}

void LabToRgbU8::row_portable(const std::uint8_t* lab, std::uint8_t* rgb, int pixels) const {
  for (int i = 0; i < pixels; ++i) pixel(lab + 3 * i, rgb + 3 * i);
}

}  // namespace k3::ops
