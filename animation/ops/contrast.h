#pragma once
// Deforum's "contrast": a plain gain on pixel values (not a contrast about mid-grey).
#include <opencv2/core.hpp>

namespace k3::ops {

// clip(image * gain, 0, 255) on a CV_32FC3 image. Deforum casts to uint8 without clipping,
// so bright pixels wrap around to dark; clipping here is the intended behaviour.
// Throws k3::ConfigError on a bad image or a negative / non-finite gain.
cv::Mat apply_contrast(const cv::Mat& image, double gain);
// The check apply_contrast makes on its gain (for fused callers). Throws k3::ConfigError.
void validate_contrast(double gain);

}  // namespace k3::ops
