#pragma once
// Deforum's "perspective flip": the image as a plane rotated in 3D and seen through a
// perspective camera, expressed as a 3x3 homography (source -> destination pixels).
#include <opencv2/core.hpp>

#include "animation/ops/sampling.h"

namespace k3::ops {

struct PerspectiveFlip {
  double theta = 0.0;  // degrees, rotation of the plane about the view axis (z)
  double phi = 0.0;    // degrees, about the horizontal axis (x)
  double gamma = 0.0;  // degrees, about the vertical axis (y)
  double fv = 53.0;    // vertical field of view of the flip camera, degrees, in (0, 180)
  // Deforum's arithmetic, step by step (the default): its projection matrix starts from eye(4)
  // and keeps P[3][3] = 1 (a slight zoom-out, about 0.1 % at 512x512, on every frame even at
  // zero angles), the corner points are rounded to float32 before cv2.getPerspectiveTransform,
  // and the recentring translation is a float32 matrix. False = the true projection in double
  // precision, for which zero angles give exactly the identity.
  bool deforum_arithmetic = true;
};

// bM of Deforum's get_flip_perspective_matrix for a W x H image: CV_64F 3x3, maps source
// pixel coordinates to destination ones. Without deforum_arithmetic, the identity at zero angles.
// Throws k3::ConfigError when fv is outside (0, 180) or the size is empty.
cv::Matx33d perspective_flip_matrix(cv::Size size, const PerspectiveFlip& flip);

// Warps a CV_32FC3 image (or a CV_32FC2 flow) by the flip alone (what Deforum's 3D mode does before the 3D warp).
cv::Mat perspective_flip(const cv::Mat& image, const PerspectiveFlip& flip, const SamplingOptions& sampling);

}  // namespace k3::ops
