#pragma once
// The zoom-clip render (animation_mode "zoom", spec deforum.md 5): makes and keeps the
// keyframes (state/zoom-keyframe-<k>.k3mat with state/zoom.json), then writes every output
// frame as a constant-rate view of them, journaled like the Deforum loop so --resume continues
// at the next keyframe or frame.
#include "animation/render/frame_backend.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_loop.h"
#include "animation/render/render_settings.h"

#include <opencv2/core.hpp>

#include <vector>

namespace k3::anim {

class RunFolder;
struct RunState;

// Throws k3::ConfigError when the zoom settings do not fit the frame size, or `frames` exceeds
// keyframes x frames_per_keyframe + 1 (fewer frames cut the clip short).
void check_zoom_settings(const RenderSettings& settings);

// The settings to evaluate the schedules with: in zoom mode their keys count keyframes, so
// they must reach keyframe `zoom.keyframes` even when the clip is cut to fewer frames.
RenderSettings zoom_schedule_settings(const RenderSettings& settings);

struct ZoomRenderInputs {
  const RenderSettings& settings;
  const std::vector<FrameParams>& params;  // per frame; index k holds keyframe k's schedules
  const RunFolder& folder;
  const cv::Mat& init_image;   // keyframe 0's picture (CV_32FC3, output size), or empty
  const cv::Mat& color_image;  // "Image" colour coherence reference, or empty
};

// Renders the frames state.next_frame.. of a zoom clip into the run folder (not the video).
void render_zoom_frames(const ZoomRenderInputs& inputs, RunState& state, FrameBackend& backend,
                        const RenderCallbacks& callbacks);

}  // namespace k3::anim
