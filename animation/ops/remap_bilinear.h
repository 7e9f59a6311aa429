#pragma once
// cv::remap's bilinear interpolation of CV_32FC3 images, value for value, but with each pixel's
// three channels computed as one vector: OpenCV 4.6 vectorises its 8-bit remap only, and its
// float bilinear loop was the largest part of a 2D or 3D warp (spec deforum.md 3.2, 3.4).
#include <opencv2/core.hpp>

namespace k3::ops {

// dst (CV_32FC3, the maps' size) = cv::remap(src, dst, map_x, map_y, cv::INTER_LINEAR, border),
// border value 0: source positions rounded to 1/32 pixel (cvRound), OpenCV's float weight table,
// its sums in its order, its border rules. `src` CV_32FC3; maps CV_32FC1 of one size; `dst` may be
// a block of rows of a larger image (a header of the maps' size).
void remap_bilinear_rgb(const cv::Mat& src, cv::Mat& dst, const cv::Mat& map_x, const cv::Mat& map_y, int border);

// cv::warpAffine's inverse of a source-to-destination matrix, computed as it computes it.
cv::Matx23d inverse_affine(const cv::Matx23d& forward);
// Rows [first_row, first_row + dst.rows) of cv::warpAffine(src, ..., INTER_LINEAR, border, 0) into
// `dst` (CV_32FC3, allocated by the caller; a block of rows of the output), given the
// destination-to-source matrix `inverse` (inverse_affine): its fixed-point positions, the
// bilinear sums above.
void warp_affine_bilinear_rgb(const cv::Mat& src, cv::Mat& dst, const cv::Matx23d& inverse, int first_row, int border);

}  // namespace k3::ops
