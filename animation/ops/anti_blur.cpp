// Follows sd-webui-deforum scripts/deforum_helpers/image_sharpening.py (unsharp_mask).
#include "animation/ops/anti_blur.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/image_convert.h"
#include "base/errors.h"

namespace k3::ops {

void validate_anti_blur(const AntiBlur& s) {
  if (s.kernel < 1 || s.kernel % 2 == 0)
    throw ConfigError("anti-blur kernel: expected an odd size >= 1, got " + std::to_string(s.kernel));
  if (!(s.amount >= 0.0) || !std::isfinite(s.amount))
    throw ConfigError("anti-blur amount: expected a finite value >= 0, got " + std::to_string(s.amount));
  if (!(s.threshold >= 0.0))
    throw ConfigError("anti-blur threshold: expected a value >= 0, got " + std::to_string(s.threshold));
}

cv::Mat anti_blur(const cv::Mat& image, const AntiBlur& s) {
  require_float_rgb(image, "anti_blur");
  validate_anti_blur(s);
  if (s.amount == 0.0) return image.clone();
  cv::Mat blurred;
  cv::GaussianBlur(image, blurred, cv::Size(s.kernel, s.kernel), s.sigma, s.sigma);
  if (s.threshold == 0.0) {
    // The common case, vectorised by OpenCV: (amount+1)*image - amount*blurred, clipped.
    cv::Mat sharp;
    cv::addWeighted(image, s.amount + 1.0, blurred, -s.amount, 0.0, sharp);
    cv::max(sharp, 0.0, sharp);
    cv::min(sharp, 255.0, sharp);
    return sharp;
  }
  cv::Mat out(image.size(), CV_32FC3);
  const float amount = static_cast<float>(s.amount);
  const float threshold = static_cast<float>(s.threshold);
  const int values_per_row = image.cols * 3;
  cv::parallel_for_(cv::Range(0, image.rows), [&](const cv::Range& rows) {
    for (int r = rows.start; r < rows.end; ++r) {
      const float* x = image.ptr<float>(r);
      const float* b = blurred.ptr<float>(r);
      float* o = out.ptr<float>(r);
      for (int i = 0; i < values_per_row; ++i) {
        float sharp = std::min(255.f, std::max(0.f, (amount + 1.f) * x[i] - amount * b[i]));
        if (std::abs(x[i] - b[i]) < threshold) sharp = x[i];
        o[i] = sharp;
      }
    }
  });
  return out;
}

}  // namespace k3::ops
