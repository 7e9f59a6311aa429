// Follows sd-webui-deforum scripts/deforum_helpers/render.py (contrast_image = prev_img * contrast).
#include "animation/ops/contrast.h"

#include <cmath>
#include <string>

#include "animation/ops/image_convert.h"
#include "base/errors.h"

namespace k3::ops {

void validate_contrast(double gain) {
  if (!(gain >= 0.0) || !std::isfinite(gain))
    throw ConfigError("contrast: expected a finite gain >= 0, got " + std::to_string(gain));
}

cv::Mat apply_contrast(const cv::Mat& image, double gain) {
  require_float_rgb(image, "contrast");
  validate_contrast(gain);
  cv::Mat out;
  image.convertTo(out, CV_32F, gain);
  cv::max(out, 0.0, out);
  cv::min(out, 255.0, out);
  return out;
}

}  // namespace k3::ops
