// Follows sd-webui-deforum scripts/deforum_helpers/depth.py (normalisation, equalisation and the z
// conventions per depth model) and animation.py (flat z = 1 without depth).
#include "animation/ops/depth_source.h"
#include "base/text.h"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/errors.h"

namespace k3::ops {
namespace {

constexpr int kEqualizeBins = 1024;

// In-place histogram equalisation of values in [0,1] as Deforum's depth_equalization does it:
// np.histogram(1024 bins on [0, 1]), cdf = cumsum / total, then np.interp(d, left bin edges, cdf).
// Pairing left edges with cumulative counts maps values one bin "late": the minimum becomes
// cdf[0] (> 0), a value inside bin k lies between cdf[k] and cdf[k+1], values >= 1023/1024 give 1.
void equalize_unit(cv::Mat& e) {
  std::vector<double> histogram(kEqualizeBins, 0.0);
  const auto bin_of = [](float v) { return std::clamp(static_cast<int>(std::floor(v * kEqualizeBins)), 0, kEqualizeBins - 1); };
  for (int r = 0; r < e.rows; ++r) {
    const float* p = e.ptr<float>(r);
    for (int c = 0; c < e.cols; ++c) histogram[static_cast<std::size_t>(bin_of(p[c]))] += 1.0;
  }
  std::vector<double> cdf(kEqualizeBins);
  double running = 0.0;
  for (int b = 0; b < kEqualizeBins; ++b) {
    running += histogram[static_cast<std::size_t>(b)];
    cdf[static_cast<std::size_t>(b)] = running;
  }
  for (double& v : cdf) v /= running;
  for (int r = 0; r < e.rows; ++r) {
    float* p = e.ptr<float>(r);
    for (int c = 0; c < e.cols; ++c) {
      const double x = p[c];
      double out;
      if (x <= 0.0) {
        out = cdf.front();
      } else if (x >= static_cast<double>(kEqualizeBins - 1) / kEqualizeBins) {
        out = cdf.back();
      } else {
        const auto k = static_cast<std::size_t>(std::floor(x * kEqualizeBins));
        const double left = static_cast<double>(k) / kEqualizeBins;
        const double slope = (cdf[k + 1] - cdf[k]) * kEqualizeBins;  // numpy: (fp[k+1] - fp[k]) / (xp[k+1] - xp[k])
        out = slope * (x - left) + cdf[k];
      }
      p[c] = static_cast<float>(out);
    }
  }
}

}  // namespace

cv::Mat FlatDepth::depth_for(const cv::Mat&, int) {
  raw_ = cv::Mat();
  return cv::Mat();
}

cv::Mat depth_to_world_z(const cv::Mat& raw_depth, DepthImageConvention convention, bool equalize) {
  if (raw_depth.empty() || raw_depth.type() != CV_32FC1) return cv::Mat();
  if (!cv::checkRange(raw_depth)) return cv::Mat();  // NaN or inf: Deforum falls back to flat
  double lo = 0.0, hi = 0.0;
  cv::minMaxLoc(raw_depth, &lo, &hi);
  if (!(hi > lo)) return cv::Mat();
  // (d - min) / (max - min) in float32, as Deforum does it on the depth tensor.
  const auto low = static_cast<float>(lo), range = static_cast<float>(hi) - low;
  cv::Mat e(raw_depth.size(), CV_32FC1);
  for (int r = 0; r < e.rows; ++r) {
    const float* in = raw_depth.ptr<float>(r);
    float* out = e.ptr<float>(r);
    for (int c = 0; c < e.cols; ++c) out[c] = (in[c] - low) / range;
  }
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
  std::error_code ec;
  if (!std::filesystem::is_directory(options_.path_pattern, ec)) return;
  for (const auto& entry : std::filesystem::directory_iterator(options_.path_pattern, ec)) {
    const std::string ext = lower(entry.path().extension().string());
    if (entry.is_regular_file(ec) && (ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".tif" || ext == ".tiff" ||
                                      ext == ".exr" || ext == ".bmp" || ext == ".webp"))
      folder_files_.push_back(entry.path().string());
  }
  std::sort(folder_files_.begin(), folder_files_.end());
  if (folder_files_.empty())
    throw FileError("depth images: expected image files in the folder " + options_.path_pattern + ", got none");
}

std::string DepthImageFiles::path_for(int frame_index) const {
  if (!folder_files_.empty()) {
    if (frame_index < 0 || static_cast<std::size_t>(frame_index) >= folder_files_.size())
      throw FileError("depth image for frame " + std::to_string(frame_index) + ": expected at least " +
                      std::to_string(frame_index + 1) + " images in " + options_.path_pattern + ", got " +
                      std::to_string(folder_files_.size()) + " images");
    return folder_files_[static_cast<std::size_t>(frame_index)];
  }
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
  raw_ = grey;
  return depth_to_world_z(grey, options_.convention, options_.equalize);
}

}  // namespace k3::ops
