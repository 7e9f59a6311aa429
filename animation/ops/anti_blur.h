#pragma once
// Deforum's anti-blur: an unsharp mask that counters the softening of repeated resampling.
#include <opencv2/core.hpp>

namespace k3::ops {

struct AntiBlur {
  int kernel = 5;          // Gaussian kernel size, odd and >= 1 (kernel_schedule)
  double sigma = 1.0;      // Gaussian sigma; <= 0 derives it from the kernel as OpenCV does (sigma_schedule)
  double amount = 0.1;     // sharpening strength; 0 returns the image unchanged (amount_schedule)
  double threshold = 0.0;  // keep the original where |image - blurred| < threshold (threshold_schedule)
};

// sharp = clip((amount+1)*image - amount*GaussianBlur(image), 0, 255), per channel, kept
// only where the local contrast reaches the threshold.
// Throws k3::ConfigError on an even or non-positive kernel, or a negative amount or threshold.
cv::Mat anti_blur(const cv::Mat& image, const AntiBlur& settings);
// The checks anti_blur makes on its settings (for fused callers). Throws k3::ConfigError.
void validate_anti_blur(const AntiBlur& settings);

}  // namespace k3::ops
