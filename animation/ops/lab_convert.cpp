// Follows OpenCV modules/imgproc/src/color_lab.cpp (constants of the float RGB<->Lab path: sRGB
// primaries, D65 white, the 0.008856 / 7.787 linear segment).
#include "animation/ops/lab_convert.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core/utility.hpp>

namespace k3::ops {
namespace {

constexpr int kIntervals = 16384;

struct LabTables {
  std::vector<float> linear;  // sRGB value (0..255) -> linear light, kIntervals + 1 samples
  std::vector<float> cube;    // t in [0,1] -> f(t), kIntervals + 1 samples

  LabTables() : linear(kIntervals + 2), cube(kIntervals + 2) {
    for (int i = 0; i <= kIntervals + 1; ++i) {
      const double x = std::min(1.0, static_cast<double>(i) / kIntervals);
      linear[i] = static_cast<float>(x <= 0.04045 ? x / 12.92 : std::pow((x + 0.055) / 1.055, 2.4));
      cube[i] = static_cast<float>(x > 0.008856 ? std::cbrt(x) : 7.787 * x + 16.0 / 116.0);
    }
  }
};

const LabTables& tables() {
  static const LabTables t;
  return t;
}

// Linear interpolation in a table sampled at i / kIntervals over [0,1].
inline float lookup(const float* table, float unit) {
  const float position = std::min(1.f, std::max(0.f, unit)) * kIntervals;
  const int i = static_cast<int>(position);
  const float frac = position - static_cast<float>(i);
  return table[i] + frac * (table[i + 1] - table[i]);
}

}  // namespace

cv::Mat rgb255_to_lab(const cv::Mat& rgb) {
  CV_Assert(rgb.type() == CV_32FC3);
  const LabTables& t = tables();
  const float* linear = t.linear.data();
  const float* cube = t.cube.data();
  // sRGB -> XYZ (D65), with the white point folded into the rows.
  const float m[9] = {0.412453f / 0.950456f, 0.357580f / 0.950456f, 0.180423f / 0.950456f,
                      0.212671f,             0.715160f,             0.072169f,
                      0.019334f / 1.088754f, 0.119193f / 1.088754f, 0.950227f / 1.088754f};
  cv::Mat lab(rgb.size(), CV_32FC3);
  cv::parallel_for_(cv::Range(0, rgb.rows), [&](const cv::Range& rows) {
    for (int r = rows.start; r < rows.end; ++r) {
      const float* in = rgb.ptr<float>(r);
      float* out = lab.ptr<float>(r);
      for (int c = 0; c < rgb.cols; ++c) {
        const float red = lookup(linear, in[3 * c] * (1.f / 255.f));
        const float green = lookup(linear, in[3 * c + 1] * (1.f / 255.f));
        const float blue = lookup(linear, in[3 * c + 2] * (1.f / 255.f));
        const float fx = lookup(cube, m[0] * red + m[1] * green + m[2] * blue);
        const float fy = lookup(cube, m[3] * red + m[4] * green + m[5] * blue);
        const float fz = lookup(cube, m[6] * red + m[7] * green + m[8] * blue);
        out[3 * c] = 116.f * fy - 16.f;
        out[3 * c + 1] = 500.f * (fx - fy);
        out[3 * c + 2] = 200.f * (fy - fz);
      }
    }
  });
  return lab;
}

}  // namespace k3::ops
