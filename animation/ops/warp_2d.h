#pragma once
// Deforum's 2D motion: rotate and zoom about a centre, after a translation.
#include <optional>

#include <opencv2/core.hpp>

#include "animation/ops/perspective_flip.h"
#include "animation/ops/sampling.h"

namespace k3::ops {

struct Warp2D {
  double angle = 0.0;          // degrees per frame, positive = counter-clockwise
  double zoom = 1.0;           // scale per frame, > 1 magnifies
  double translation_x = 0.0;  // pixels per frame, positive moves content right
  double translation_y = 0.0;  // pixels per frame, positive moves content down
  double center_x = 0.5;       // rotation/zoom pivot as a fraction of the width
  double center_y = 0.5;       // ... and of the height
  // Optional perspective flip composed in front: M = flip * R * T.
  std::optional<PerspectiveFlip> perspective_flip;
  // Compatibility: Deforum computes np.matmul(bM, R, T), whose third argument is numpy's
  // output buffer, so translation_x/y are silently dropped when the flip is on. True
  // reproduces that (M = flip * R); false keeps the translation.
  bool drop_translation_with_flip = false;
};

// The 3x3 source->destination matrix for an image of `size` (CV_64F):
// R = cv2.getRotationMatrix2D((W*cx, H*cy), angle, zoom), T = translate(tx, ty), M = R * T.
cv::Matx33d warp_2d_matrix(cv::Size size, const Warp2D& warp);

// Warps a CV_32FC3 RGB image (or a CV_32FC2 flow); same size and type out. Throws k3::ConfigError on a bad image or zoom <= 0.
cv::Mat warp_2d(const cv::Mat& image, const Warp2D& warp, const SamplingOptions& sampling);

}  // namespace k3::ops
