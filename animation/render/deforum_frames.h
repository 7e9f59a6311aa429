#pragma once
// The Deforum modes (2D, 3D, None, Interpolation) as one FrameMaker: each diffused frame from the
// warped, prepared previous one (or from its prompts alone in Interpolation mode), cadence tweens
// between, keyframe images starting afresh.
#include "animation/render/frame_maker.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"

#include <map>
#include <memory>
#include <vector>

namespace k3::anim {

struct DeforumInputs {
  const RenderSettings& settings;
  const std::vector<FrameParams>& params;
  const cv::Mat& init_image;                       // frame 0's picture (CV_32FC3), or empty
  const cv::Mat& color_image;                      // "Image" colour coherence reference, or empty
  const std::map<int, cv::Mat>& keyframe_images;  // later frames started from an image
};

std::unique_ptr<FrameMaker> make_deforum_frames(const DeforumInputs& inputs, const RunState& state,
                                                const std::string& run_dir);

}  // namespace k3::anim
