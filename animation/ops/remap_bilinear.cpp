// Follows OpenCV modules/imgproc/src/imgwarp.cpp (remap: the float-map conversion to 1/32 pixel
// steps, initInterTab2D's bilinear weights, remapBilinear's sums and border cases).
#include "animation/ops/remap_bilinear.h"

#include <algorithm>
#include <vector>

#include <opencv2/core/hal/intrin.hpp>

namespace k3::ops {
namespace {

constexpr int kTabBits = 5;  // INTER_BITS: positions in 1/32 pixel
constexpr int kTabSize = 1 << kTabBits;

// OpenCV's BilinearTab_f: for fractions (fy, fx) in 1/32 steps, the weights of the 2x2
// neighbours, each the float product of two 1D weights (1 - f, f).
struct WeightTable {
  float w[kTabSize * kTabSize][4];
  WeightTable() {
    float one_d[kTabSize][2];
    const float scale = 1.f / kTabSize;
    for (int i = 0; i < kTabSize; ++i) {
      const float x = static_cast<float>(i) * scale;
      one_d[i][0] = 1.f - x;
      one_d[i][1] = x;
    }
    for (int i = 0; i < kTabSize; ++i)
      for (int j = 0; j < kTabSize; ++j)
        for (int k1 = 0; k1 < 2; ++k1)
          for (int k2 = 0; k2 < 2; ++k2) w[i * kTabSize + j][k1 * 2 + k2] = one_d[i][k1] * one_d[j][k2];
  }
};

const WeightTable& weights() {
  static const WeightTable table;
  return table;
}

inline short saturate_short(int v) { return static_cast<short>(v < -32768 ? -32768 : (v > 32767 ? 32767 : v)); }

// One destination row from its source positions in 1/32 pixel (x32, y32), as remapBilinear does.
void remap_row(const cv::Mat& src, const int* x32_row, const int* y32_row, float* d, int count, int border) {
  const WeightTable& table = weights();
  const int width = src.cols, height = src.rows;
  const unsigned inner_w = static_cast<unsigned>(std::max(width - 1, 0));
  const unsigned inner_h = static_cast<unsigned>(std::max(height - 1, 0));
  const std::size_t step = src.step / sizeof(float);  // floats per source row
  const float* s0 = src.ptr<float>();
  static const float zero[3] = {0.f, 0.f, 0.f};
  for (int col = 0; col < count; ++col, d += 3) {
    const int x32 = x32_row[col], y32 = y32_row[col];
    const int sx = saturate_short(x32 >> kTabBits), sy = saturate_short(y32 >> kTabBits);
    const float* w = table.w[(y32 & (kTabSize - 1)) * kTabSize + (x32 & (kTabSize - 1))];
    if (static_cast<unsigned>(sx) < inner_w && static_cast<unsigned>(sy) < inner_h) {
      const float* p = s0 + sy * step + sx * 3;
      // Four-float loads read one float past the pixel pair's channels: safe while the pair
      // is not the row's last (sx + 2 < width); the store, while this is not the row's end.
      if (sx + 2 < width && col + 1 < count) {
        const cv::v_float32x4 sum = cv::v_load(p) * cv::v_setall_f32(w[0]) + cv::v_load(p + 3) * cv::v_setall_f32(w[1]) +
                                    cv::v_load(p + step) * cv::v_setall_f32(w[2]) +
                                    cv::v_load(p + step + 3) * cv::v_setall_f32(w[3]);
        cv::v_store(d, sum);  // the 4th float is the next pixel's, written again next
        continue;
      }
      for (int k = 0; k < 3; ++k) d[k] = p[k] * w[0] + p[k + 3] * w[1] + p[step + k] * w[2] + p[step + k + 3] * w[3];
      continue;
    }
    if (border == cv::BORDER_CONSTANT && (sx >= width || sx + 1 < 0 || sy >= height || sy + 1 < 0)) {
      d[0] = d[1] = d[2] = 0.f;
      continue;
    }
    const int x0 = cv::borderInterpolate(sx, width, border), x1 = cv::borderInterpolate(sx + 1, width, border);
    const int y0 = cv::borderInterpolate(sy, height, border), y1 = cv::borderInterpolate(sy + 1, height, border);
    const auto at = [&](int y, int x) { return (x >= 0 && y >= 0) ? s0 + y * step + x * 3 : zero; };
    const float *v0 = at(y0, x0), *v1 = at(y0, x1), *v2 = at(y1, x0), *v3 = at(y1, x1);
    for (int k = 0; k < 3; ++k) d[k] = v0[k] * w[0] + v1[k] * w[1] + v2[k] * w[2] + v3[k] * w[3];
  }
}

void require_rgb_float(const cv::Mat& src) { CV_Assert(src.type() == CV_32FC3); }

}  // namespace

void remap_bilinear_rgb(const cv::Mat& src, cv::Mat& dst, const cv::Mat& map_x, const cv::Mat& map_y, int border) {
  require_rgb_float(src);
  CV_Assert(map_x.type() == CV_32FC1 && map_y.type() == CV_32FC1 && map_x.size() == map_y.size());
  dst.create(map_x.size(), CV_32FC3);
  std::vector<int> x32(dst.cols), y32(dst.cols);
  for (int row = 0; row < dst.rows; ++row) {
    const float* mx = map_x.ptr<float>(row);
    const float* my = map_y.ptr<float>(row);
    for (int col = 0; col < dst.cols; ++col) {  // remap's conversion of float maps
      x32[col] = cvRound(mx[col] * kTabSize);
      y32[col] = cvRound(my[col] * kTabSize);
    }
    remap_row(src, x32.data(), y32.data(), dst.ptr<float>(row), dst.cols, border);
  }
}

cv::Matx23d inverse_affine(const cv::Matx23d& forward) {
  // warpAffine's inversion, operation for operation (the positions depend on its rounding).
  double m[6] = {forward(0, 0), forward(0, 1), forward(0, 2), forward(1, 0), forward(1, 1), forward(1, 2)};
  double det = m[0] * m[4] - m[1] * m[3];
  det = det != 0 ? 1. / det : 0;
  const double a11 = m[4] * det, a22 = m[0] * det;
  m[0] = a11;
  m[1] *= -det;
  m[3] *= -det;
  m[4] = a22;
  const double b1 = -m[0] * m[2] - m[1] * m[5];
  const double b2 = -m[3] * m[2] - m[4] * m[5];
  m[2] = b1;
  m[5] = b2;
  return cv::Matx23d(m[0], m[1], m[2], m[3], m[4], m[5]);
}

void warp_affine_bilinear_rgb(const cv::Mat& src, cv::Mat& dst, const cv::Matx23d& inverse, int first_row, int border) {
  require_rgb_float(src);
  // warpAffine's positions: 1/1024 pixel steps per column added to each row's start, both
  // rounded from double, then shifted down to 1/32 pixel.
  constexpr int kAbBits = 10, kAbScale = 1 << kAbBits, kRoundDelta = kAbScale / kTabSize / 2;
  std::vector<int> a_delta(dst.cols), b_delta(dst.cols), x32(dst.cols), y32(dst.cols);
  for (int x = 0; x < dst.cols; ++x) {
    a_delta[x] = cv::saturate_cast<int>(inverse(0, 0) * x * kAbScale);
    b_delta[x] = cv::saturate_cast<int>(inverse(1, 0) * x * kAbScale);
  }
  for (int row = 0; row < dst.rows; ++row) {
    const int y = first_row + row;
    const int x0 = cv::saturate_cast<int>((inverse(0, 1) * y + inverse(0, 2)) * kAbScale) + kRoundDelta;
    const int y0 = cv::saturate_cast<int>((inverse(1, 1) * y + inverse(1, 2)) * kAbScale) + kRoundDelta;
    for (int x = 0; x < dst.cols; ++x) {
      x32[x] = (x0 + a_delta[x]) >> (kAbBits - kTabBits);
      y32[x] = (y0 + b_delta[x]) >> (kAbBits - kTabBits);
    }
    remap_row(src, x32.data(), y32.data(), dst.ptr<float>(row), dst.cols, border);
  }
}

}  // namespace k3::ops
