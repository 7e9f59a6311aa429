// Follows A1111 sd-webui-deforum scripts/deforum_helpers/render.py (render_animation: the
// turbo_prev/turbo_next cadence buffers and the per-frame chain), with two deliberate changes:
// the last cadence block is emitted instead of dropped (spec deforum.md 3.11), and the run
// state is journaled after every frame instead of being guessed from files on resume (1.16).
#include "animation/render/deforum_frames.h"

#include "animation/render/cadence_flow.h"
#include "animation/render/depth_provider.h"
#include "animation/render/first_frame.h"
#include "animation/render/frame_ops.h"
#include "animation/render/run_folder.h"
#include "animation/render/seed_sequence.h"
#include "base/errors.h"

#include <opencv2/core.hpp>

#include <optional>

namespace k3::anim {
namespace {

class DeforumFrames final : public FrameMaker {
 public:
  DeforumFrames(const DeforumInputs& in, const RunState& state, const std::string& run_dir)
      : in_(in),
        frame_ops_(in.settings),
        cadence_flow_(in.settings),
        seeds_(in.settings.seed.behavior, in.settings.seed.seed, in.settings.seed.iter_n,
               [this](int frame) { return in_.params[static_cast<std::size_t>(frame)].seed_schedule; }) {
    const RenderSettings& s = in.settings;
    if (s.motion.save_depth_maps && frame_ops_.uses_depth()) depth_maps_.emplace(run_dir + "/depth");
    if (!state.color_reference.empty()) frame_ops_.set_color_reference(state.color_reference);
    else if (!in.color_image.empty()) frame_ops_.set_color_reference(in.color_image);
    if (state.next_frame > 0) seeds_.restore(state.seed);
    // Interpolation mode: every frame from its (blended) prompts alone, no warp, no cadence.
    interpolation_ = s.animation_mode == AnimationMode::Interpolation;
    cadence_ = interpolation_ ? 1 : s.generation.cadence;
  }

  std::vector<std::string> warnings() const override { return frame_ops_.warnings(); }

  void prepare(FrameContext& c) override {
    const int total = in_.settings.frames;
    if (c.state.next_frame < total)
      c.backend.prepare(prompt_texts(in_.params, c.state.next_frame, total), c.folder.dir());
    if (c.state.next_frame > 0 && c.state.next_frame < total && !c.state.turbo_next)
      throw FileError(c.folder.state_dir() + ": expected the journal's frame buffer to resume at frame " +
                      std::to_string(c.state.next_frame) + ", got none");
  }

  cv::Mat make(int j, FrameContext& c) override {
    RunState& state = c.state;
    const auto keyframe_image = in_.keyframe_images.find(j);
    const bool from_image = keyframe_image != in_.keyframe_images.end();
    c.progress.diffused = j % cadence_ == 0 || from_image || interpolation_;
    if (c.progress.diffused) diffuse(j, from_image ? &keyframe_image->second : nullptr, c);
    return tween(j, state);
  }

  void written(int j, const cv::Mat& frame, FrameContext& c) override {
    frame_ops_.observe_output(frame, j);
    c.state.color_reference = frame_ops_.color_reference();
  }

 private:
  // A diffused frame: frame 0 and Interpolation frames from their prompts (and init image), a
  // keyframe image's frame from its image, every other one from the warped previous frame.
  void diffuse(int j, const cv::Mat* keyframe_image, FrameContext& c) {
    const RenderSettings& s = in_.settings;
    const FrameParams& params = in_.params[static_cast<std::size_t>(j)];
    RunState& state = c.state;
    DiffusionRequest request = diffusion_request(s, params, j, seeds_.take(j));
    state.last_seed = request.seed;
    cv::Mat output;
    if (j == 0 || interpolation_) {
      output = render_first_frame(c.backend, frame_ops_, j == 0 ? in_.init_image : cv::Mat(), s, request, c.on_step);
    } else if (keyframe_image) {
      // A story segment's own start: diffused from its image as frame 0 is; no tween across it.
      output = render_first_frame(c.backend, frame_ops_, *keyframe_image, s, request, c.on_step);
      state.turbo_next.reset();
    } else {
      request.denoise = params.denoise;
      const CadenceBuffer& previous = *state.turbo_next;  // the last diffused frame, warped up to j-1
      cv::Mat warped = frame_ops_.warp(previous.image, params, j);
      cv::Mat init = frame_ops_.prepare_init(warped, params, request.seed);
      output = frame_ops_.grey_generated(quantize_to_8bit(frame_ops_.match_diffused(c.backend.next_frame(init, request, c.on_step))));
    }
    state.turbo_prev = state.turbo_next;
    state.turbo_next = CadenceBuffer{output, j};
    state.seed = seeds_.state();
  }

  // Cadence tween (A1111 render.py): both buffers follow the motion up to frame j, then blend.
  // Their 3D warps share one depth, predicted on turbo_next before it moves (as Deforum does).
  cv::Mat tween(int j, RunState& state) {
    const FrameParams& params = in_.params[static_cast<std::size_t>(j)];
    const double weight = static_cast<double>(j % cadence_ + 1) / cadence_;
    // A buffer that takes no part in the blend (weight 1) is not worth a depth prediction.
    const bool prev_moves = state.turbo_prev && j > state.turbo_prev->index && !(frame_ops_.uses_depth() && weight >= 1.0);
    const bool next_moves = j > state.turbo_next->index;
    // A frame diffused just now (every C-th, or a keyframe image's) starts a segment of tweens.
    if (state.turbo_next->index == j) cadence_flow_.start_segment(state, params);
    cv::Mat tween_depth;
    const bool tween_has_depth = (prev_moves || next_moves) && frame_ops_.uses_depth();
    if (tween_has_depth) tween_depth = frame_ops_.depth_for(state.turbo_next->image, j);
    const cv::Mat* shared_depth = tween_has_depth ? &tween_depth : nullptr;
    if (prev_moves) state.turbo_prev = CadenceBuffer{frame_ops_.warp(state.turbo_prev->image, params, j, shared_depth), j};
    if (next_moves) state.turbo_next = CadenceBuffer{frame_ops_.warp(state.turbo_next->image, params, j, shared_depth), j};
    cadence_flow_.follow(state, frame_ops_, params, j, weight, prev_moves, next_moves, shared_depth);
    // save_depth_maps: a tween's own depth; a diffused frame's depth predicted on its output.
    if (depth_maps_) {
      if (!tween_has_depth) frame_ops_.depth_for(state.turbo_next->image, j);
      depth_maps_->write(frame_ops_.last_raw_depth(), j);
    }
    if (!state.turbo_prev || weight >= 1.0) return frame_ops_.grey_tween(state.turbo_next->image);
    cv::Mat frame;
    cv::addWeighted(state.turbo_prev->image, 1.0 - weight, state.turbo_next->image, weight, 0.0, frame);
    return frame_ops_.grey_tween(frame);
  }

  const DeforumInputs in_;
  FrameOperations frame_ops_;
  CadenceFlow cadence_flow_;
  SeedSequence seeds_;
  std::optional<DepthMapWriter> depth_maps_;
  bool interpolation_ = false;
  int cadence_ = 1;
};

}  // namespace

std::unique_ptr<FrameMaker> make_deforum_frames(const DeforumInputs& inputs, const RunState& state,
                                                const std::string& run_dir) {
  return std::make_unique<DeforumFrames>(inputs, state, run_dir);
}

}  // namespace k3::anim
