// Follows the v8hid infinite-zoom extension's iz_helpers/run.py (spec deforum.md 5.1): keyframe
// 0 by text-to-image, each next keyframe by outpainting the ring around the shrunk previous one
// with the prompt of its index, frames between by a geometric zoom, zoom-in as the reverse.
#include "animation/render/zoom_frames.h"

#include "animation/render/first_frame.h"

#include "animation/ops/image_convert.h"
#include "animation/render/frame_ops.h"
#include "animation/render/run_folder.h"
#include "animation/render/run_state.h"
#include "animation/render/seed_sequence.h"
#include "animation/render/zoom_clip.h"
#include "base/errors.h"

#include <algorithm>

namespace k3::anim {

namespace {

std::string keyframe_path(const RunFolder& folder, int k) {
  return folder.state_dir() + "/zoom-keyframe-" + std::to_string(k) + ".k3mat";
}

}  // namespace

void check_zoom_settings(const RenderSettings& s) {
  const int frames = s.zoom.keyframes * s.zoom.frames_per_keyframe + 1;
  if (s.frames > frames)
    throw ConfigError("frames: expected at most zoom.keyframes x zoom.frames_per_keyframe + 1 = " + std::to_string(frames) +
                      " in zoom mode (change those keys instead), got " + std::to_string(s.frames));
  ZoomGeometry g = zoom_geometry(cv::Size(s.width, s.height), s.zoom.factor);
  int limit = std::min(g.inner.width, g.inner.height) / 2;
  if (s.zoom.mask_blur > limit)
    throw ConfigError("zoom.mask_blur: expected at most half the shrunk keyframe (" + std::to_string(limit) + " pixels at " +
                      std::to_string(s.width) + "x" + std::to_string(s.height) + ", factor " + std::to_string(s.zoom.factor) +
                      "), got " + std::to_string(s.zoom.mask_blur));
}

RenderSettings zoom_schedule_settings(const RenderSettings& settings) {
  RenderSettings out = settings;
  if (settings.animation_mode == AnimationMode::Zoom) out.frames = std::max(settings.frames, settings.zoom.keyframes + 1);
  return out;
}

namespace {

class ZoomFrames final : public FrameMaker {
 public:
  explicit ZoomFrames(const ZoomInputs& in)
      : in_(in),
        geometry_(zoom_geometry(cv::Size(in.settings.width, in.settings.height), in.settings.zoom.factor)),
        zoom_in_(in.settings.zoom.direction == ZoomDirection::In) {
    const ZoomSettings& z = in.settings.zoom;
    // A clip cut short (frames < keyframes x frames_per_keyframe + 1) zooming out needs only the
    // keyframes its last frame reaches; zooming in starts from the widest one.
    last_keyframe_ = zoom_in_ ? z.keyframes
                              : std::min(z.keyframes, (in.settings.frames - 1 + z.frames_per_keyframe - 1) / z.frames_per_keyframe);
    if (static_cast<int>(in.params.size()) <= last_keyframe_)
      throw ConfigError("zoom: expected schedules for " + std::to_string(last_keyframe_ + 1) + " keyframes, got " +
                        std::to_string(in.params.size()) + " (evaluate them with zoom_schedule_settings)");
    // The band where an inner keyframe meets its ring is feathered over the seam blur, in the
    // inner keyframe's pixels.
    feather_ = std::max(2.0, z.mask_blur * std::max(geometry_.factor_x, geometry_.factor_y));
  }

  // Keyframes: made once, kept in state/ so that a resumed run reuses them.
  void prepare(FrameContext& c) override {
    const RenderSettings& s = in_.settings;
    const ZoomSettings& z = s.zoom;
    RunState& state = c.state;
    for (int k = 0; k < state.zoom_keyframes_done; ++k) keyframes_.push_back(read_mat(keyframe_path(c.folder, k)));
    if (state.zoom_keyframes_done > last_keyframe_) return;
    c.backend.prepare(prompt_texts(in_.params, state.zoom_keyframes_done, last_keyframe_ + 1), c.folder.dir());
    SeedSequence seeds(s.seed.behavior, s.seed.seed, s.seed.iter_n,
                       [&](int k) { return in_.params[static_cast<std::size_t>(k)].seed_schedule; });
    if (state.zoom_keyframes_done > 0) seeds.restore(state.seed);
    FrameOperations colour(s);
    if (!in_.color_image.empty()) colour.set_color_reference(in_.color_image);
    else if (!keyframes_.empty() && colour.uses_color_reference()) colour.set_color_reference(keyframes_[0]);

    for (int k = state.zoom_keyframes_done; k <= last_keyframe_; ++k) {
      // Where keyframe k first appears in the clip (for progress and messages).
      c.progress.frame = zoom_in_ ? (z.keyframes - k) * z.frames_per_keyframe : k * z.frames_per_keyframe;
      c.progress.diffused = true;
      c.progress.step = c.progress.total_steps = 0;
      // Keys count keyframes in zoom mode: keyframe k takes the schedules at index k.
      DiffusionRequest request = diffusion_request(s, in_.params[static_cast<std::size_t>(k)], c.progress.frame, seeds.take(k));
      state.last_seed = request.seed;
      cv::Mat keyframe;
      if (k == 0) {
        keyframe = render_first_frame(c.backend, colour, in_.init_image, s, request, c.on_step);
      } else {
        request.denoise = z.denoise;
        ZoomCanvas canvas = make_zoom_canvas(keyframes_.back(), geometry_);
        cv::Mat painted = colour.match_output(c.backend.outpaint(canvas.image, canvas.mask, request, c.on_step));
        keyframe = quantize_to_8bit(join_at_seam(painted, canvas.image, seam_weight(geometry_.size, geometry_.inner, z.mask_blur)));
      }
      write_mat_atomically(keyframe_path(c.folder, k), keyframe);
      keyframes_.push_back(keyframe);
      state.zoom_keyframes_done = k + 1;
      state.seed = seeds.state();
      save_run_state(c.folder, state);
      c.report();
    }
  }

  // Frames: a constant-rate view of the keyframe stack.
  cv::Mat make(int j, FrameContext& c) override {
    c.progress.diffused = false;
    const ZoomSettings& z = in_.settings.zoom;
    return compose_zoom_frame(keyframes_, geometry_, zoom_position(j, z.frames_per_keyframe, z.keyframes, zoom_in_), feather_);
  }

 private:
  const ZoomInputs in_;
  const ZoomGeometry geometry_;
  const bool zoom_in_;
  int last_keyframe_ = 0;
  double feather_ = 2.0;
  std::vector<cv::Mat> keyframes_;
};

}  // namespace

std::unique_ptr<FrameMaker> make_zoom_frames(const ZoomInputs& inputs) { return std::make_unique<ZoomFrames>(inputs); }

}  // namespace k3::anim
