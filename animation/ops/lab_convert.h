#pragma once
// RGB -> CIE L*a*b* for colour coherence, in OpenCV's float convention (sRGB, D65; L in
// [0,100], a and b unscaled) so that cv::COLOR_Lab2RGB inverts it. OpenCV's own float
// RGB->Lab costs about 5x more here and quantises its result (its packed trilinear table),
// which creates ties that histogram matching then cannot resolve.
#include <opencv2/core.hpp>

namespace k3::ops {

// `rgb`: CV_32FC3, RGB in [0,255] (values outside are clamped). Returns CV_32FC3 Lab.
// Tables with linear interpolation for the sRGB curve and the cube root: error below
// 5e-4 in L, a, b against the closed-form formulas (OpenCV's float path: about 0.6).
cv::Mat rgb255_to_lab(const cv::Mat& rgb);

}  // namespace k3::ops
