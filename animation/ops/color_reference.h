#pragma once
// Which image colour coherence matches against, and when it changes: the first frame
// (Deforum's default), a given image (Deforum's "Image" mode), or a rolling reference taken
// from every N-th output frame (lets the palette evolve slowly: sd-webui-deforum#401).
#include <optional>

#include <opencv2/core.hpp>

#include "animation/ops/color_match.h"

namespace k3::ops {

class ColorReference {
 public:
  enum class Policy { FirstFrame, FixedImage, EveryNFrames };

  static ColorReference first_frame();
  // Throws k3::ConfigError unless `reference_rgb` is a CV_32FC3 image.
  static ColorReference fixed_image(const cv::Mat& reference_rgb);
  // The output frames whose index is a multiple of `every_n_frames` (>= 1) become the reference.
  static ColorReference rolling(int every_n_frames);

  // Whether the output frame `frame_index` should become the reference.
  bool should_update(int frame_index) const;
  // Offers a finished output frame (CV_32FC3 RGB); takes it as the reference when
  // should_update says so. Returns true when it did.
  bool observe(const cv::Mat& frame_rgb, int frame_index);

  bool has_reference() const { return !image_.empty(); }
  const cv::Mat& image() const { return image_; }
  Policy policy() const { return policy_; }
  // The reference analysed for `space`, computed once per reference and space.
  // Throws k3::ConfigError when there is no reference yet.
  const ColorTemplate& template_for(ColorSpace space);

 private:
  ColorReference(Policy policy, int every_n) : policy_(policy), every_n_(every_n) {}
  Policy policy_;
  int every_n_;
  cv::Mat image_;
  std::optional<ColorTemplate> cached_;
};

}  // namespace k3::ops
