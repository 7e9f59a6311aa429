#pragma once
// Masks for the frame operations: where an operation applies, as a per-pixel weight.
#include <opencv2/core.hpp>

namespace k3::ops {

// Empty stays empty (= everywhere). CV_8UC1 becomes CV_32FC1 /255; CV_32FC1 is checked to be
// of `size`. Throws k3::ConfigError("<what>: expected ..., got ...") on another type or size.
cv::Mat mask_to_weight(const cv::Mat& mask, cv::Size size, const char* what);

}  // namespace k3::ops
