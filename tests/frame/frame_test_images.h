#pragma once
// Test images shared by the frame-operation tests.
#include <cstdint>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace k3::test {

// A smooth, non-symmetric CV_32FC3 RGB pattern in [0,255] (gradients and a few sines), so
// that warps move recognisable content and interpolation errors stay small.
inline cv::Mat smooth_test_image(int width, int height) {
  cv::Mat image(height, width, CV_32FC3);
  for (int r = 0; r < height; ++r) {
    for (int c = 0; c < width; ++c) {
      const double x = static_cast<double>(c) / width, y = static_cast<double>(r) / height;
      image.at<cv::Vec3f>(r, c) = cv::Vec3f(static_cast<float>(127.5 + 100.0 * std::sin(6.0 * x + 2.0 * y)),
                                            static_cast<float>(255.0 * (0.2 + 0.6 * y)),
                                            static_cast<float>(127.5 + 90.0 * std::cos(5.0 * y - 3.0 * x * x)));
    }
  }
  return image;
}

// Uniform random CV_32FC3 values in [0,255] (distinct values almost surely).
inline cv::Mat random_test_image(int width, int height, std::uint64_t seed) {
  cv::Mat image(height, width, CV_32FC3);
  cv::RNG rng(seed);
  rng.fill(image, cv::RNG::UNIFORM, 0.0, 255.0);
  return image;
}

// CV_32FC3 values in [0,255], all distinct within and across channels (a shuffled ramp per
// channel, offset by a third of a step per channel), so that histogram matching has no ties.
inline cv::Mat distinct_test_image(int width, int height, std::uint64_t seed) {
  const int n = width * height;
  cv::Mat image(height, width, CV_32FC3);
  cv::RNG rng(seed);
  std::vector<int> order(n);
  for (int ch = 0; ch < 3; ++ch) {
    for (int i = 0; i < n; ++i) order[i] = i;
    for (int i = n - 1; i > 0; --i) std::swap(order[i], order[rng.uniform(0, i + 1)]);
    for (int i = 0; i < n; ++i)
      image.at<cv::Vec3f>(i / width, i % width)[ch] = static_cast<float>((order[i] + ch / 3.0) * 255.0 / n);
  }
  return image;
}

// Max absolute difference over a centred region that excludes `margin` pixels at each side.
inline double max_abs_diff_inside(const cv::Mat& a, const cv::Mat& b, int margin) {
  const cv::Rect inside(margin, margin, a.cols - 2 * margin, a.rows - 2 * margin);
  return cv::norm(a(inside), b(inside), cv::NORM_INF);
}

}  // namespace k3::test
