#pragma once
// Deforum's optical-flow cadence (A1111 render.py, cadence_flow; spec deforum.md 3.11): once per
// cadence segment the flow from the previous diffused frame to the new one is measured and halved,
// and the new frame is moved back along it; at every tween the flow follows the camera's motion
// and both cadence buffers move along it, scaled by the tween weight and cadence_flow_factor.
#include "animation/ops/optical_flow.h"
#include "animation/render/frame_ops.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"
#include "animation/render/run_state.h"

#include <optional>

namespace k3::anim {

class CadenceFlow {
 public:
  // Does nothing without optical_flow_cadence, without cadence, or outside the 2D and 3D modes.
  explicit CadenceFlow(const RenderSettings& settings);

  // At the first frame of a segment (the frame just diffused), before the buffers move: the flow
  // from turbo_prev to turbo_next, halved, kept in state.cadence_flow, and turbo_next moved back
  // along it. Nothing (and no flow for the segment) without turbo_prev or when the segment's
  // frame is diffused from scratch (denoise 1: Deforum's strength 0).
  void start_segment(RunState& state, const FrameParams& segment_start) const;
  // After the tween's warps: the segment's flow (Deforum keeps it in relative units) through
  // frame j's motion, and the buffers that moved this frame moved along it.
  void follow(RunState& state, FrameOperations& frame_ops, const FrameParams& params, int frame, double weight,
              bool prev_moves, bool next_moves, const cv::Mat* depth) const;

 private:
  std::optional<ops::FlowMethod> method_;
};

}  // namespace k3::anim
