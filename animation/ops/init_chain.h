#pragma once
// The steps Deforum applies to a warped frame before img2img (render.py: colour match, contrast,
// anti-blur, noise; spec deforum.md 3.1 steps 4-8) fused so that the frame is read and written
// as few times as the steps allow: the 8-bit colour match stays in 8 bits until the contrast gain
// converts it to float, and the anti-blur's combination is computed row by row inside the noise
// blend. The result equals match_colors -> apply_contrast -> anti_blur -> add_noise called one
// after another (up to float rounding).
#include <opencv2/core.hpp>

#include "animation/ops/anti_blur.h"
#include "animation/ops/color_match.h"
#include "animation/ops/noise.h"

namespace k3::ops {

struct InitChain {
  const ColorTemplate* colors = nullptr;  // null or space None: no colour match
  double color_strength = 1.0;            // blend of the matched colours (Deforum: 1)
  bool grayscale = false;                 // color_force_grayscale: grey after the colour match (OpenCV's)
  double contrast = 1.0;                  // 1: none
  AntiBlur anti_blur{5, 1.0, 0.0, 0.0};   // amount 0: none
  NoiseOptions noise = no_noise();        // amount 0: none

  static NoiseOptions no_noise() {
    NoiseOptions n;
    n.amount = 0.0;
    return n;
  }
};

// `warped_rgb`: CV_32FC3 RGB [0,255]. Throws k3::ConfigError as the separate operations do.
cv::Mat prepare_init_frame(const cv::Mat& warped_rgb, const InitChain& steps);

}  // namespace k3::ops
