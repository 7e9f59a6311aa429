// Follows sd-webui-deforum scripts/deforum_helpers/depth.py (normalisation, equalisation and the z
// conventions per depth model) and animation.py (flat z = 1 without depth).
#include "animation/ops/depth_source.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "src/errors.h"

namespace k3::ops {
namespace {

constexpr int kEqualizeBins = 1024;

// In-place histogram equalisation of values in [0,1]: each value becomes the CDF of its bin.
void equalize_unit(cv::Mat& e) {
  std::vector<double> histogram(kEqualizeBins, 0.0);
  const auto bin_of = [](float v) { return std::min(kEqualizeBins - 1, static_cast<int>(v * kEqualizeBins)); };
  for (int r = 0; r < e.rows; ++r) {
    const float* p = e.ptr<float>(r);
    for (int c = 0; c < e.cols; ++c) histogram[bin_of(p[c])] += 1.0;
  }
  std::vector<float> cdf(kEqualizeBins);
  double running = 0.0;
  const double total = static_cast<double>(e.total());
  for (int b = 0; b < kEqualizeBins; ++b) {
    running += histogram[b];
    cdf[b] = static_cast<float>(running / total);
  }
  for (int r = 0; r < e.rows; ++r) {
    float* p = e.ptr<float>(r);
    for (int c = 0; c < e.cols; ++c) p[c] = cdf[bin_of(p[c])];
  }
}

}  // namespace

cv::Mat FlatDepth::depth_for(const cv::Mat&, int) { return cv::Mat(); }

cv::Mat depth_to_world_z(const cv::Mat& raw_depth, DepthImageConvention convention, bool equalize) {
  if (raw_depth.empty() || raw_depth.type() != CV_32FC1) return cv::Mat();
  if (!cv::checkRange(raw_depth)) return cv::Mat();  // NaN or inf: Deforum falls back to flat
  double lo = 0.0, hi = 0.0;
  cv::minMaxLoc(raw_depth, &lo, &hi);
  if (!(hi > lo)) return cv::Mat();
  cv::Mat e;
  raw_depth.convertTo(e, CV_32F, 1.0 / (hi - lo), -lo / (hi - lo));
  if (equalize) equalize_unit(e);
  cv::Mat z;
  if (convention == DepthImageConvention::BrightIsNear)
    e.convertTo(z, CV_32F, -1.0, 2.0);
  else
    e.convertTo(z, CV_32F, 1.0, 1.0);
  return z;
}

DepthImageFiles::DepthImageFiles(DepthImageOptions options) : options_(std::move(options)) {
  if (options_.path_pattern.empty()) throw ConfigError("depth images: expected a path pattern, got an empty one");
}

std::string DepthImageFiles::path_for(int frame_index) const {
  if (options_.path_pattern.find('%') == std::string::npos) return options_.path_pattern;
  const int needed = std::snprintf(nullptr, 0, options_.path_pattern.c_str(), frame_index);
  if (needed < 0)
    throw ConfigError("depth images: expected a printf pattern with one integer, got \"" + options_.path_pattern + "\"");
  std::vector<char> buffer(static_cast<std::size_t>(needed) + 1);
  std::snprintf(buffer.data(), buffer.size(), options_.path_pattern.c_str(), frame_index);
  return std::string(buffer.data());
}

cv::Mat DepthImageFiles::depth_for(const cv::Mat& frame, int frame_index) {
  const std::string path = path_for(frame_index);
  std::error_code ignored;
  // Checked first: OpenCV logs a warning of its own when asked to read a missing file.
  const bool exists = std::filesystem::is_regular_file(path, ignored);
  cv::Mat raw = exists ? cv::imread(path, cv::IMREAD_ANYDEPTH | cv::IMREAD_ANYCOLOR) : cv::Mat();
  if (raw.empty())
    throw FileError("depth image for frame " + std::to_string(frame_index) + ": expected a readable image at " + path +
                    ", got none");
  if (raw.channels() == 4) cv::cvtColor(raw, raw, cv::COLOR_BGRA2BGR);
  cv::Mat grey;
  raw.convertTo(grey, CV_MAKETYPE(CV_32F, raw.channels()));
  if (grey.channels() == 3) cv::transform(grey, grey, cv::Matx13f(1.f / 3, 1.f / 3, 1.f / 3));
  if (!frame.empty() && grey.size() != frame.size()) cv::resize(grey, grey, frame.size(), 0, 0, cv::INTER_CUBIC);
  return depth_to_world_z(grey, options_.convention, options_.equalize);
}

}  // namespace k3::ops
