#pragma once
// Settings that would silently do nothing, found before the first frame: each warning names
// the setting and the frames it concerns (guidance switched off, frames that get no denoising
// step, a size the model does not take directly, a schedule the sampler ignores).
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"

#include <string>
#include <vector>

namespace k3::anim {

// "0-3, 7, 9-12": sorted frame numbers as ranges.
std::string frame_ranges(const std::vector<int>& frames);

// The denoising steps an image-to-image call runs for `steps` nominal steps at `denoise` with
// `sampler` (src/sampling/sampler.cpp img2img_timesteps: int(n x denoise) of the n timesteps the
// sampler's list really holds).
int img2img_step_count(const std::string& sampler, int steps, double denoise);

// One line per silent no-op of these settings (none when all is well). `model_size_multiple` is
// the backend's (FrameBackend::size_multiple: 64 for Kandinsky 3), 0 for the preview, which
// diffuses nothing (model-only warnings are then left out).
std::vector<std::string> render_warnings(const RenderSettings& settings, const std::vector<FrameParams>& params,
                                         int model_size_multiple);
// A bool would pass as the multiple 1 or 0: name the multiple.
std::vector<std::string> render_warnings(const RenderSettings&, const std::vector<FrameParams>&, bool) = delete;

}  // namespace k3::anim
