#include "animation/render/first_frame.h"

#include "animation/ops/image_convert.h"
#include "animation/render/prompt_blend.h"

#include <algorithm>

namespace k3::anim {

DiffusionRequest diffusion_request(const RenderSettings& settings, const FrameParams& params, int frame,
                                   std::uint64_t seed) {
  DiffusionRequest request;
  request.frame = frame;
  const bool next_dominates = !params.prompt.next_prompt.empty() && params.prompt.blend >= 0.5;
  request.negative = next_dominates ? params.prompt.next_negative : params.prompt.negative;
  // One part of weight 1 is the plain prompt; anything else is conditioned on every part.
  const auto parts = frame_prompt_parts(params.prompt);
  const auto dominant = std::max_element(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.weight < b.weight; });
  request.prompt = dominant == parts.end() ? params.prompt.prompt : dominant->text;
  if (parts.size() > 1 || (parts.size() == 1 && parts.front().weight != 1.0))
    for (const auto& part : parts) request.parts.emplace_back(part.text, part.weight);
  request.width = settings.width;
  request.height = settings.height;
  request.guidance = params.guidance;
  request.steps = params.steps;
  request.seed = seed;
  return request;
}

cv::Mat quantize_to_8bit(const cv::Mat& image) { return ops::to_float_rgb(ops::to_u8_rgb(image)); }

cv::Mat render_first_frame(FrameBackend& backend, FrameOperations& colour, const cv::Mat& init_image,
                           const RenderSettings& settings, DiffusionRequest request, const StepProgress& on_step) {
  request.denoise = init_image.empty() ? 1.0 : settings.generation.init_denoise;
  if (settings.generation.first_frame_steps > 0) request.steps = settings.generation.first_frame_steps;
  cv::Mat frame = quantize_to_8bit(backend.first_frame(init_image, request, on_step));
  // Deforum: frame 0's output (grey with color_force_grayscale) becomes the reference, or is
  // forced to the given one before it turns grey.
  const bool capture = colour.uses_color_reference() && colour.color_reference().empty();
  if (colour.uses_color_reference() && !capture) frame = quantize_to_8bit(colour.match_output(frame));
  frame = colour.grey_generated(frame);
  if (capture) colour.set_color_reference(frame);
  return frame;
}

}  // namespace k3::anim
