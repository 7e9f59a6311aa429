// Follows sd-webui-deforum scripts/deforum_helpers/render.py (the order of maintain_colors,
// contrast, unsharp_mask and add_noise on prev_img), fused (see init_chain.h).
#include "animation/ops/init_chain.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "animation/ops/contrast.h"
#include "animation/ops/image_convert.h"

namespace k3::ops {
namespace {

// clip(image * gain, 0, 255) as float: from the 8-bit colour match in one conversion, or from
// the float frame (no copy at gain 1).
cv::Mat gained(const cv::Mat& warped, const InitChain& steps) {
  // Strength 0 keeps the frame as it is (no 8-bit round trip either).
  const bool match = steps.colors && steps.colors->space != ColorSpace::None && steps.color_strength > 0.0;
  if (match && steps.colors->depth == ColorDepth::EightBit && steps.color_strength == 1.0) {
    cv::Mat out;
    match_colors_u8(warped, *steps.colors).convertTo(out, CV_32F, steps.contrast);
    if (steps.contrast > 1.0) cv::min(out, 255.0, out);  // 8-bit values times a gain are >= 0
    return out;
  }
  const cv::Mat matched = match ? match_colors(warped, *steps.colors, steps.color_strength) : warped;
  return steps.contrast == 1.0 ? matched : apply_contrast(matched, steps.contrast);
}

// One row of clip((amount+1)*x - amount*blurred, 0, 255), keeping x where |x - blurred| is
// below the threshold (anti_blur.cpp's arithmetic). Ternary clamps vectorise (see noise.cpp).
void sharpen_row(const float* x, const float* blurred, float* out, int count, const AntiBlur& s) {
  const float gain = static_cast<float>(s.amount + 1.0), loss = static_cast<float>(-s.amount);
  for (int i = 0; i < count; ++i) {
    float v = gain * x[i] + loss * blurred[i];
    v = v < 0.f ? 0.f : v;
    out[i] = v > 255.f ? 255.f : v;
  }
  if (s.threshold <= 0.0) return;
  const float threshold = static_cast<float>(s.threshold);
  for (int i = 0; i < count; ++i)
    if (std::abs(x[i] - blurred[i]) < threshold) out[i] = x[i];
}

}  // namespace

cv::Mat prepare_init_frame(const cv::Mat& warped_rgb, const InitChain& steps) {
  require_float_rgb(warped_rgb, "prepare_init_frame");
  validate_contrast(steps.contrast);
  validate_anti_blur(steps.anti_blur);
  const cv::Mat x = gained(warped_rgb, steps);
  const bool sharpen = steps.anti_blur.amount > 0.0;
  cv::Mat blurred;
  if (sharpen) {
    const int k = steps.anti_blur.kernel;
    cv::GaussianBlur(x, blurred, cv::Size(k, k), steps.anti_blur.sigma, steps.anti_blur.sigma);
  }
  const int count = x.cols * 3;
  return add_noise_rows(x.size(), steps.noise, [&](int r, float* dst) {
    if (sharpen)
      sharpen_row(x.ptr<float>(r), blurred.ptr<float>(r), dst, count, steps.anti_blur);
    else
      std::copy(x.ptr<float>(r), x.ptr<float>(r) + count, dst);
  });
}

}  // namespace k3::ops
