// Follows sd-webui-deforum scripts/deforum_helpers/render.py (color_match_sample: frame 0's output, or
// the colour coherence image), extended with a rolling reference.
#include "animation/ops/color_reference.h"

#include <string>

#include "animation/ops/image_convert.h"
#include "base/errors.h"

namespace k3::ops {

ColorReference ColorReference::first_frame() { return ColorReference(Policy::FirstFrame, 0); }

ColorReference ColorReference::fixed_image(const cv::Mat& reference_rgb) {
  require_float_rgb(reference_rgb, "colour coherence image");
  ColorReference r(Policy::FixedImage, 0);
  r.image_ = reference_rgb.clone();
  return r;
}

ColorReference ColorReference::rolling(int every_n_frames) {
  if (every_n_frames < 1)
    throw ConfigError("colour reference interval: expected every N >= 1 frames, got " + std::to_string(every_n_frames));
  return ColorReference(Policy::EveryNFrames, every_n_frames);
}

bool ColorReference::should_update(int frame_index) const {
  switch (policy_) {
    case Policy::FirstFrame: return image_.empty();
    case Policy::FixedImage: return false;
    case Policy::EveryNFrames: return image_.empty() || frame_index % every_n_ == 0;
  }
  return false;
}

bool ColorReference::observe(const cv::Mat& frame_rgb, int frame_index) {
  if (!should_update(frame_index)) return false;
  require_float_rgb(frame_rgb, "colour reference frame");
  image_ = frame_rgb.clone();
  cached_.reset();
  return true;
}

const ColorTemplate& ColorReference::template_for(ColorSpace space) {
  if (image_.empty()) throw ConfigError("colour reference: expected a reference image, got none yet");
  if (!cached_ || cached_->space != space) cached_ = make_color_template(image_, space);
  return *cached_;
}

}  // namespace k3::ops
