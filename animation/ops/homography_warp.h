#pragma once
// Shared by the 2D warp and the perspective flip: apply a 3x3 source->destination matrix.
#include <opencv2/core.hpp>

#include "animation/ops/sampling.h"

namespace k3::ops {

// Warps a CV_32FC3 image by `source_to_destination` (as cv2.warpPerspective does), using the
// cheaper affine path when the bottom row is (0, 0, 1); clamps to [0,255] after cubic or
// Lanczos sampling, as Deforum's 8-bit warps saturate.
cv::Mat warp_by_homography(const cv::Mat& image, const cv::Matx33d& source_to_destination,
                           const SamplingOptions& sampling);

}  // namespace k3::ops
