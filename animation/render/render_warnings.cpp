// What turns guidance off and how many steps an img2img frame runs follow src/pipeline/pipeline.h
// (DenoiseSettings::guided: guidance > 1, diffusers' do_classifier_free_guidance) and
// src/sampling/sampler.cpp / src/sampling/original_sampler.cpp (the timestep lists).
#include "animation/render/render_warnings.h"

#include "src/public/model_canvas.h"

#include <algorithm>

namespace k3::anim {

namespace {

constexpr int kTrainTimesteps = 1000;  // Kandinsky 3's scheduler (num_train_timesteps)
constexpr int kFlashSteps = 4;         // Flash's fixed list 979, 729, 479, 229

int sampler_timestep_count(const std::string& sampler, int steps) {
  if (sampler == "flash") return kFlashSteps;
  if (sampler == "original") {
    const int stride = kTrainTimesteps / std::max(1, steps);
    return (kTrainTimesteps - 1 + stride - 1) / stride;  // len(range(999, 0, -stride))
  }
  return steps;
}

// The frames that run the backend (every C-th; zoom clips diffuse keyframes instead).
std::vector<int> diffused_frames(const RenderSettings& s) {
  std::vector<int> frames;
  const int cadence = s.animation_mode == AnimationMode::Interpolation ? 1 : s.generation.cadence;
  for (int j = 0; j < s.frames; j += cadence) frames.push_back(j);
  for (const auto& [frame, path] : s.keyframe_images)
    if (frame < s.frames && frame % cadence != 0) frames.push_back(frame);
  std::sort(frames.begin(), frames.end());
  return frames;
}

}  // namespace

std::string frame_ranges(const std::vector<int>& frames) {
  std::string out;
  for (std::size_t i = 0; i < frames.size();) {
    std::size_t k = i;
    while (k + 1 < frames.size() && frames[k + 1] == frames[k] + 1) ++k;
    out += (out.empty() ? "" : ", ") + std::to_string(frames[i]) + (k > i ? "-" + std::to_string(frames[k]) : "");
    i = k + 1;
  }
  return out;
}

int img2img_step_count(const std::string& sampler, int steps, double denoise) {
  const int n = sampler_timestep_count(sampler, steps);
  return std::min(static_cast<int>(n * denoise), n);
}

std::vector<std::string> render_warnings(const RenderSettings& s, const std::vector<FrameParams>& params,
                                         int model_size_multiple) {
  std::vector<std::string> out;
  if (s.animation_mode == AnimationMode::ThreeD && s.motion.depth_source != DepthSource::None && s.motion.depth_path.empty())
    out.push_back("motion.depth_source " + setting_name(s.motion.depth_source) +
                  ": no effect, motion.depth_path names no model folder, so every frame uses flat depth");
  if (s.animation_mode == AnimationMode::TwoD && s.motion.enable_perspective_flip && s.motion.flip_drops_translation) {
    std::vector<int> moved;
    for (int j = 0; j < s.frames; ++j)
      if (params[static_cast<std::size_t>(j)].translation_x != 0 || params[static_cast<std::size_t>(j)].translation_y != 0)
        moved.push_back(j);
    if (!moved.empty())
      out.push_back("motion.translation_x/y: no effect on frames " + frame_ranges(moved) +
                    " because motion.flip_drops_translation reproduces Deforum's 2D flip (set it false to apply them)");
  }
  const GenerationSettings& g = s.generation;
  const bool warps = s.animation_mode == AnimationMode::TwoD || s.animation_mode == AnimationMode::ThreeD;
  if (g.optical_flow_cadence != OpticalFlowCadence::None && (!warps || g.cadence < 2))
    out.push_back("generation.optical_flow_cadence " + setting_name(g.optical_flow_cadence) + ": no effect " +
                  (warps ? std::string("with generation.cadence 1 (no tweens)") : "outside the 2D and 3D modes"));
  if (g.color_force_grayscale && !warps && s.animation_mode != AnimationMode::None)
    out.push_back("generation.color_force_grayscale: no effect in " + setting_name(s.animation_mode) + " mode (2D, 3D and None only)");
  if (g.color_coherence == ColorCoherence::None && (g.color_reference != ColorReference::FirstFrame || g.color_strength != 1.0))
    out.push_back("generation.color_reference/color_strength: no effect while generation.color_coherence is \"None\"");
  for (const auto& [frame, path] : s.keyframe_images)
    if (frame >= s.frames || s.animation_mode == AnimationMode::Zoom)
      out.push_back("keyframe_images." + std::to_string(frame) + ": not used (" +
                    (s.animation_mode == AnimationMode::Zoom ? std::string("zoom clips start from init_image only")
                                                : "the clip ends at frame " + std::to_string(s.frames - 1)) + ")");
  if (model_size_multiple <= 0) return out;
  const std::string& sampler = s.model.sampler;
  const bool zoom = s.animation_mode == AnimationMode::Zoom;
  std::vector<int> unguided, no_step;
  bool guidance_set = false;
  for (int j : zoom ? std::vector<int>{} : diffused_frames(s)) {
    const FrameParams& p = params[static_cast<std::size_t>(j)];
    if (p.guidance > 1.0) guidance_set = true;
    else unguided.push_back(j);
    const bool from_image = s.keyframe_images.count(j) != 0;
    double denoise = j == 0 || s.animation_mode == AnimationMode::Interpolation || from_image
                         ? ((j == 0 ? !s.init_image.empty() : from_image) ? s.generation.init_denoise : 1.0)
                         : p.denoise;
    if (img2img_step_count(sampler, p.steps, denoise) == 0) no_step.push_back(j);
  }
  if (sampler == "flash") {
    if (guidance_set)
      out.push_back("generation.guidance: model.sampler \"flash\" runs without classifier-free guidance (it was distilled "
                    "for it); the guidance schedule has no effect");
  } else if (!unguided.empty()) {
    out.push_back("generation.guidance: classifier-free guidance is off on frames " + frame_ranges(unguided) +
                  " (guidance <= 1 turns it off; a Deforum cfg_scale c imports as c - 1, so cfg_scale <= 2 is off)");
  }
  if (!no_step.empty())
    out.push_back("generation.denoise: no denoising step on frames " + frame_ranges(no_step) +
                  " (int(steps x denoise) = 0 with sampler \"" + sampler +
                  "\"): each is its prepared init passed through the autoencoder, not re-diffused");
  const ModelCanvas canvas = model_canvas(s.width, s.height, model_size_multiple);
  if (!canvas.same_as(s.width, s.height))
    out.push_back("width/height: " + std::to_string(s.width) + "x" + std::to_string(s.height) + " is not a multiple of " +
                  std::to_string(model_size_multiple) + "; every frame is diffused on a " + std::to_string(canvas.width) + "x" +
                  std::to_string(canvas.height) +
                  " canvas (edges replicated into the margin) and cropped back, without resampling");
  return out;
}

}  // namespace k3::anim
