#pragma once
// Frame 0 of every animation mode: text-to-image (or the init image re-diffused), and the
// colour reference that Deforum takes from it. Shared by the 2D/3D loop and the zoom clips.
#include "animation/render/frame_backend.h"
#include "animation/render/frame_ops.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"

#include <opencv2/core.hpp>

#include <cstdint>

namespace k3::anim {

// The diffusion request of one diffused frame from its schedule values: the prompt, or its
// composable parts blended with the next keyframe prompt's (prompt_blend.h).
DiffusionRequest diffusion_request(const RenderSettings& settings, const FrameParams& params, int frame,
                                   std::uint64_t seed);

// Rounds a float RGB frame to what its 8-bit PNG holds, so a resumed run continues from
// exactly the pixels on disk.
cv::Mat quantize_to_8bit(const cv::Mat& image);

// Renders frame 0 with `request` (its denoise and steps are set here from the settings), then
// makes it the colour reference, or matches it to a given reference image.
cv::Mat render_first_frame(FrameBackend& backend, FrameOperations& colour, const cv::Mat& init_image,
                           const RenderSettings& settings, DiffusionRequest request, const StepProgress& on_step);

}  // namespace k3::anim
