#pragma once
// How a render's camera moves the previous frame, chosen once from its animation mode: none,
// Deforum's 2D warp, or its 3D warp (each with the optional perspective flip). Follows
// sd-webui-deforum scripts/deforum_helpers/animation.py (anim_frame_warp: 2D, or flip then 3D).
#include "animation/ops/depth_source.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"

#include <opencv2/core.hpp>

#include <memory>

namespace k3::anim {

class FrameMotion {
 public:
  virtual ~FrameMotion() = default;
  // `image` (CV_32FC3 RGB) moved by frame `frame_index`'s parameters. The 3D warp uses `depth`
  // (world z) when given, else predicts it on `image` through its depth source.
  virtual cv::Mat warp(const cv::Mat& image, const FrameParams& params, int frame_index, const cv::Mat* depth) = 0;
};

// `depth` must outlive the motion (the 3D warp's source; unused by the others).
std::unique_ptr<FrameMotion> make_frame_motion(const RenderSettings& settings, ops::DepthSource& depth);

}  // namespace k3::anim
