#pragma once
// Every schedule of a render evaluated once into per-frame values (Deforum's `keys` series,
// A1111 scripts/deforum_helpers/animation_key_frames.py DeformAnimKeys).
#include "animation/render/render_settings.h"

#include <string>
#include <vector>

namespace k3::anim {

struct FramePromptText {
  std::string prompt;
  std::string negative;
  std::string next_prompt;    // the prompt being blended towards ("" = none)
  std::string next_negative;
  double blend = 0;           // weight of next_prompt, 0..1
};

struct FrameParams {
  // Motion.
  double angle = 0, zoom = 1, translation_x = 0, translation_y = 0, translation_z = 0;
  double transform_center_x = 0.5, transform_center_y = 0.5;
  double rotation_3d_x = 0, rotation_3d_y = 0, rotation_3d_z = 0;
  double flip_theta = 0, flip_phi = 0, flip_gamma = 0, flip_fv = 53;
  double fov = 70, near = 200, far = 10000;
  // Generation.
  double denoise = 0.35, guidance = 3;
  int steps = 25;
  double noise = 0, contrast = 1;
  double cadence_flow_factor = 1;
  int blur_kernel = 5;
  double blur_sigma = 1, blur_amount = 0, blur_threshold = 0;
  double seed_schedule = -1;
  FramePromptText prompt;
};

// Evaluates every schedule over settings.frames frames with the start seed `seed` (the
// variable `s`). Throws k3::ConfigError listing every broken schedule with its key path
// (e.g. "motion.zoom: schedule 'zoom', keyframe 1, column 9: ...").
std::vector<FrameParams> evaluate_frame_params(const RenderSettings& settings, std::int64_t seed,
                                               const std::string& source);

// The distinct prompt texts (positive, negative, and the ones blended towards) of frames
// [from, to), in order of first use; empty texts left out.
std::vector<std::string> prompt_texts(const std::vector<FrameParams>& params, int from, int to);

}  // namespace k3::anim
