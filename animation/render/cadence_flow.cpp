// Follows A1111 sd-webui-deforum scripts/deforum_helpers/render.py (the optical flow cadence
// before and after the animation warp of each tween) and hybrid_video.py (its helpers).
#include "animation/render/cadence_flow.h"

namespace k3::anim {
namespace {

std::optional<ops::FlowMethod> method_of(const RenderSettings& s) {
  const bool warps = s.animation_mode == AnimationMode::TwoD || s.animation_mode == AnimationMode::ThreeD;
  if (!warps || s.generation.cadence < 2) return std::nullopt;
  switch (s.generation.optical_flow_cadence) {
    case OpticalFlowCadence::None: return std::nullopt;
    case OpticalFlowCadence::DisMedium: return ops::FlowMethod::DisMedium;
    case OpticalFlowCadence::DisFine: return ops::FlowMethod::DisFine;
    case OpticalFlowCadence::Farneback: return ops::FlowMethod::Farneback;
  }
  return std::nullopt;
}

}  // namespace

CadenceFlow::CadenceFlow(const RenderSettings& settings) : method_(method_of(settings)) {}

void CadenceFlow::start_segment(RunState& state, const FrameParams& segment_start) const {
  state.cadence_flow.release();
  if (!method_ || !state.turbo_prev || !state.turbo_next || !(segment_start.denoise < 1.0)) return;
  state.cadence_flow = ops::flow_between(state.turbo_prev->image, state.turbo_next->image, *method_) * 0.5;
  // image_transform_optical_flow(turbo_next, -cadence_flow, 1)
  state.turbo_next->image = ops::move_along_flow(state.turbo_next->image, state.cadence_flow, -1.0);
}

void CadenceFlow::follow(RunState& state, FrameOperations& frame_ops, const FrameParams& params, int frame, double weight,
                         bool prev_moves, bool next_moves, const cv::Mat* depth) const {
  if (!method_ || state.cadence_flow.empty()) return;
  state.cadence_flow = frame_ops.warp_flow(ops::flow_to_relative(state.cadence_flow), params, frame, depth);
  const cv::Mat increment = ops::flow_to_absolute(state.cadence_flow) * weight;
  if (prev_moves && state.turbo_prev)
    state.turbo_prev->image = ops::move_along_flow(state.turbo_prev->image, increment, params.cadence_flow_factor);
  if (next_moves) state.turbo_next->image = ops::move_along_flow(state.turbo_next->image, increment, params.cadence_flow_factor);
}

}  // namespace k3::anim
