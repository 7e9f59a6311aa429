// Follows sd-webui-deforum scripts/deforum_helpers/render.py (color_match_sample: the reference
// every frame is matched against, analysed here once per reference).
#include "animation/ops/color_reference.h"

#include "animation/ops/image_convert.h"

namespace k3::ops {

ColorReference::ColorReference(const cv::Mat& reference_rgb) {
  require_float_rgb(reference_rgb, "colour reference image");
  image_ = reference_rgb.clone();
}

const ColorTemplate& ColorReference::template_for(ColorSpace space) {
  if (!cached_ || cached_->space != space) cached_ = make_color_template(image_, space);
  return *cached_;
}

}  // namespace k3::ops
