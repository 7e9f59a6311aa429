#pragma once
// A colour coherence reference: the image colours are matched against (frame 0's output,
// Deforum's "Image" picture, or a rolling frame: the render decides when it changes,
// animation/render/frame_ops.cpp) and its analysis per colour space, computed once per reference
// instead of once per frame.
#include <optional>

#include <opencv2/core.hpp>

#include "animation/ops/color_match.h"

namespace k3::ops {

class ColorReference {
 public:
  // Throws k3::ConfigError unless `reference_rgb` is a CV_32FC3 image (kept as a copy).
  explicit ColorReference(const cv::Mat& reference_rgb);

  const cv::Mat& image() const { return image_; }
  // The reference analysed for `space`; the last analysis is kept until another space is asked.
  const ColorTemplate& template_for(ColorSpace space);

 private:
  cv::Mat image_;
  std::optional<ColorTemplate> cached_;
};

}  // namespace k3::ops
