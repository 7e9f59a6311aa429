// Follows A1111 sd-webui-deforum scripts/deforum_helpers/render.py (the per-frame chain) and
// animation.py (anim_frame_warp: 2D, or perspective flip then 3D).
#include "animation/render/frame_ops.h"

#include "animation/ops/anti_blur.h"
#include "animation/ops/color_match.h"
#include "animation/ops/color_reference.h"
#include "animation/ops/contrast.h"
#include "animation/ops/depth_source.h"
#include "animation/ops/init_chain.h"
#include "animation/ops/noise.h"
#include "animation/ops/perspective_flip.h"
#include "animation/ops/sampling.h"
#include "animation/ops/warp_2d.h"
#include "animation/ops/warp_3d.h"
#include "animation/render/depth_provider.h"

#include <optional>

namespace k3::anim {

struct FrameOperations::Impl {
  std::string mode;
  bool flip = false;
  bool flip_drops_translation = false;
  ops::SamplingOptions sampling_2d;
  ops::SamplingOptions sampling_3d;
  ops::ColorSpace color_space = ops::ColorSpace::None;
  ops::NoiseType noise_type = ops::NoiseType::Perlin;
  ops::PerlinOptions perlin;
  std::unique_ptr<ops::DepthSource> depth;
  bool uses_depth = false;
  std::optional<ops::ColorReference> reference;
  bool rolling_reference = false;
  int reference_every = 1;
  double color_strength = 1.0;
  cv::Mat empty;
  std::vector<std::string> warnings;
};

FrameOperations::FrameOperations(const RenderSettings& s) : impl_(std::make_unique<Impl>()) {
  auto& m = s.motion;
  impl_->mode = s.animation_mode;
  impl_->flip = m.enable_perspective_flip;
  impl_->flip_drops_translation = m.flip_drops_translation;
  // 2D warps sample bilinearly with the `border` mode (cv2.warpPerspective defaults);
  // 3D samples with sampling_mode and padding_mode (torch grid_sample in Deforum).
  impl_->sampling_2d = {ops::parse_border_mode(m.border), ops::Interpolation::Bilinear};
  impl_->sampling_3d = {ops::parse_border_mode(m.padding_mode), ops::parse_interpolation(m.sampling_mode)};
  impl_->color_space = ops::parse_color_space(s.generation.color_coherence);
  impl_->rolling_reference = s.generation.color_reference == "previous";
  impl_->reference_every = s.generation.color_reference_every;
  impl_->color_strength = s.generation.color_strength;
  impl_->noise_type = ops::parse_noise_type(s.generation.noise_type);
  impl_->perlin.octaves = s.generation.perlin_octaves;
  impl_->perlin.persistence = s.generation.perlin_persistence;
  impl_->depth = make_depth_source(s, impl_->warnings);
  impl_->uses_depth = s.animation_mode == "3D" && m.depth_source != "none";
}

FrameOperations::~FrameOperations() = default;

const std::vector<std::string>& FrameOperations::warnings() const { return impl_->warnings; }

bool FrameOperations::uses_depth() const { return impl_->uses_depth; }

cv::Mat FrameOperations::depth_for(const cv::Mat& image, int frame_index) { return impl_->depth->depth_for(image, frame_index); }

const cv::Mat& FrameOperations::last_raw_depth() const { return impl_->depth->last_raw(); }

cv::Mat FrameOperations::warp(const cv::Mat& image, const FrameParams& p, int frame_index, const cv::Mat* given_depth) {
  std::optional<ops::PerspectiveFlip> flip;
  if (impl_->flip) flip = ops::PerspectiveFlip{p.flip_theta, p.flip_phi, p.flip_gamma, p.flip_fv, true};
  if (impl_->mode == "2D") {
    ops::Warp2D w;
    w.angle = p.angle;
    w.zoom = p.zoom;
    w.translation_x = p.translation_x;
    w.translation_y = p.translation_y;
    w.center_x = p.transform_center_x;
    w.center_y = p.transform_center_y;
    w.perspective_flip = flip;
    w.drop_translation_with_flip = impl_->flip_drops_translation;
    return ops::warp_2d(image, w, impl_->sampling_2d);
  }
  if (impl_->mode == "3D") {
    // Deforum predicts the depth on the unwarped frame, before the perspective flip.
    cv::Mat depth = given_depth ? *given_depth : impl_->depth->depth_for(image, frame_index);
    cv::Mat source = flip ? ops::perspective_flip(image, *flip, impl_->sampling_2d) : image;
    ops::Warp3D w;
    w.translation_x = p.translation_x;
    w.translation_y = p.translation_y;
    w.translation_z = p.translation_z;
    w.rotation_x = p.rotation_3d_x;
    w.rotation_y = p.rotation_3d_y;
    w.rotation_z = p.rotation_3d_z;
    w.fov = p.fov;
    w.near = p.near;
    w.far = p.far;
    return ops::warp_3d(source, depth, w, impl_->sampling_3d);
  }
  return image.clone();
}

cv::Mat FrameOperations::prepare_init(const cv::Mat& warped, const FrameParams& p, std::uint64_t seed) {
  ops::InitChain steps;
  if (impl_->color_space != ops::ColorSpace::None && impl_->reference && impl_->reference->has_reference())
    steps.colors = &impl_->reference->template_for(impl_->color_space);
  steps.color_strength = impl_->color_strength;
  steps.contrast = p.contrast;
  if (p.blur_amount > 0) steps.anti_blur = ops::AntiBlur{p.blur_kernel, p.blur_sigma, p.blur_amount, p.blur_threshold};
  if (p.noise > 0) {
    steps.noise.amount = p.noise;
    steps.noise.seed = seed;
    steps.noise.type = impl_->noise_type;
    steps.noise.perlin = impl_->perlin;
  }
  return ops::prepare_init_frame(warped, steps);
}

cv::Mat FrameOperations::match_output(const cv::Mat& generated) {
  if (impl_->color_space == ops::ColorSpace::None || !impl_->reference || !impl_->reference->has_reference() ||
      impl_->color_strength <= 0.0)
    return generated;
  return ops::match_colors(generated, impl_->reference->template_for(impl_->color_space), impl_->color_strength);
}

void FrameOperations::observe_output(const cv::Mat& frame, int frame_index) {
  if (impl_->rolling_reference && uses_color_reference() && frame_index % impl_->reference_every == 0)
    set_color_reference(frame);
}

bool FrameOperations::uses_color_reference() const {
  return impl_->color_space != ops::ColorSpace::None && impl_->color_strength > 0.0;  // strength 0: as None
}

void FrameOperations::set_color_reference(const cv::Mat& reference_rgb) {
  impl_->reference = ops::ColorReference::fixed_image(reference_rgb);
}

const cv::Mat& FrameOperations::color_reference() const {
  return impl_->reference ? impl_->reference->image() : impl_->empty;
}

}  // namespace k3::anim
