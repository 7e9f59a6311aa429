#pragma once
// The project's image convention: cv::Mat CV_32FC3, RGB channel order, values in [0,255].
// 8-bit images exist only at the edges (files, video, the model); these convert at the edges.
#include <opencv2/core.hpp>

#include "base/image.h"

namespace k3::ops {

// CV_8UC3 (RGB) -> CV_32FC3 in [0,255]. Throws k3::ConfigError on another type.
cv::Mat to_float_rgb(const cv::Mat& u8);
// CV_32FC3 -> CV_8UC3, rounded to nearest and clipped to [0,255]. Throws k3::ConfigError.
cv::Mat to_u8_rgb(const cv::Mat& f32);

// k3::ImageRGB8 <-> OpenCV (copies; ImageRGB8 is RGB, so no channel swap).
cv::Mat to_mat_u8(const ImageRGB8& image);
cv::Mat to_float_rgb(const ImageRGB8& image);
// Accepts CV_8UC3 or CV_32FC3 (rounded and clipped). Throws k3::ConfigError on another type.
ImageRGB8 to_image_rgb8(const cv::Mat& image);

// Throws k3::ConfigError("<what>: expected a CV_32FC3 image, got ...") unless `image` is a
// non-empty float RGB image. Every operation in k3::ops calls it on its input.
void require_float_rgb(const cv::Mat& image, const char* what);
// The same for the warps, which also move Deforum's optical-flow cadence flows: a CV_32FC3 frame
// or a CV_32FC2 flow.
void require_warpable(const cv::Mat& image, const char* what);

}  // namespace k3::ops
