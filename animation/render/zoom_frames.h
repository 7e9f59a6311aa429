#pragma once
// The zoom-clip mode (animation_mode "zoom", spec deforum.md 5): makes and keeps the keyframes
// (state/zoom-keyframe-<k>.k3mat, counted in the run journal), then makes every output frame as
// a constant-rate view of them, so --resume continues at the next keyframe or frame.
#include "animation/render/frame_maker.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"

#include <opencv2/core.hpp>

#include <memory>
#include <vector>

namespace k3::anim {

// Throws k3::ConfigError when the zoom settings do not fit the frame size, or `frames` exceeds
// keyframes x frames_per_keyframe + 1 (fewer frames cut the clip short).
void check_zoom_settings(const RenderSettings& settings);

// The settings to evaluate the schedules with: in zoom mode their keys count keyframes, so
// they must reach keyframe `zoom.keyframes` even when the clip is cut to fewer frames.
RenderSettings zoom_schedule_settings(const RenderSettings& settings);

struct ZoomInputs {
  const RenderSettings& settings;
  const std::vector<FrameParams>& params;  // per frame; index k holds keyframe k's schedules
  const cv::Mat& init_image;   // keyframe 0's picture (CV_32FC3, output size), or empty
  const cv::Mat& color_image;  // "Image" colour coherence reference, or empty
};

// The zoom clip as a FrameMaker: prepare() makes the keyframes the clip still needs (journaled
// one by one: RunState::zoom_keyframes_done), make() composes frame j from them.
std::unique_ptr<FrameMaker> make_zoom_frames(const ZoomInputs& inputs);

}  // namespace k3::anim
