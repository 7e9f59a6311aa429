// Follows A1111 sd-webui-deforum scripts/deforum_helpers/render.py (the per-frame chain); the
// motion itself is frame_motion.h's.
#include "animation/render/frame_ops.h"

#include "animation/ops/anti_blur.h"
#include "animation/ops/color_match.h"
#include "animation/ops/color_reference.h"
#include "animation/ops/contrast.h"
#include "animation/ops/depth_source.h"
#include "animation/ops/grayscale.h"
#include "animation/ops/init_chain.h"
#include "animation/ops/noise.h"
#include "animation/render/depth_provider.h"
#include "animation/render/frame_motion.h"

#include <optional>

namespace k3::anim {

namespace {
// The space colours are matched in: "Image" matches in LAB, as Deforum does (colors.py).
ops::ColorSpace color_space_of(ColorCoherence coherence) {
  switch (coherence) {
    case ColorCoherence::None: return ops::ColorSpace::None;
    case ColorCoherence::RGB: return ops::ColorSpace::RGB;
    case ColorCoherence::HSV: return ops::ColorSpace::HSV;
    case ColorCoherence::LAB:
    case ColorCoherence::Image: return ops::ColorSpace::LAB;
  }
  return ops::ColorSpace::None;
}
}  // namespace

struct FrameOperations::Impl {
  ops::ColorSpace color_space = ops::ColorSpace::None;
  ops::NoiseType noise_type = ops::NoiseType::Perlin;
  ops::PerlinOptions perlin;
  std::unique_ptr<ops::DepthSource> depth;
  std::unique_ptr<FrameMotion> motion;
  bool uses_depth = false;
  bool three_d = false;
  bool legacy_colormatch = false;
  bool grayscale = false;
  std::optional<ops::ColorReference> reference;
  bool rolling_reference = false;
  int reference_every = 1;
  double color_strength = 1.0;
  cv::Mat empty;
  std::vector<std::string> warnings;
};

FrameOperations::FrameOperations(const RenderSettings& s) : impl_(std::make_unique<Impl>()) {
  impl_->color_space = color_space_of(s.generation.color_coherence);
  impl_->rolling_reference = s.generation.color_reference == ColorReference::Previous;
  impl_->reference_every = s.generation.color_reference_every;
  impl_->color_strength = s.generation.color_strength;
  impl_->noise_type = ops::parse_noise_type(s.generation.noise_type);
  impl_->perlin.octaves = s.generation.perlin_octaves;
  impl_->perlin.persistence = s.generation.perlin_persistence;
  impl_->depth = make_depth_source(s, impl_->warnings);
  impl_->motion = make_frame_motion(s, *impl_->depth);
  impl_->uses_depth = s.animation_mode == AnimationMode::ThreeD && s.motion.depth_source != DepthSource::None;
  impl_->three_d = s.animation_mode == AnimationMode::ThreeD;
  impl_->legacy_colormatch = s.generation.legacy_colormatch;
  impl_->grayscale = s.generation.color_force_grayscale &&
                     (s.animation_mode == AnimationMode::TwoD || s.animation_mode == AnimationMode::ThreeD ||
                      s.animation_mode == AnimationMode::None);
}

FrameOperations::~FrameOperations() = default;

const std::vector<std::string>& FrameOperations::warnings() const { return impl_->warnings; }

bool FrameOperations::uses_depth() const { return impl_->uses_depth; }

cv::Mat FrameOperations::depth_for(const cv::Mat& image, int frame_index) { return impl_->depth->depth_for(image, frame_index); }

const cv::Mat& FrameOperations::last_raw_depth() const { return impl_->depth->last_raw(); }

cv::Mat FrameOperations::warp(const cv::Mat& image, const FrameParams& p, int frame_index, const cv::Mat* given_depth) {
  return impl_->motion->warp(image, p, frame_index, given_depth);
}

cv::Mat FrameOperations::warp_flow(const cv::Mat& flow, const FrameParams& p, int frame_index, const cv::Mat* depth) {
  static const cv::Mat flat;
  cv::Mat moved = impl_->motion->warp(flow, p, frame_index, depth ? depth : &flat);
  if (impl_->three_d) {
    cv::max(moved, 0.0, moved);
    cv::min(moved, 255.0, moved);
  }
  return moved;
}

cv::Mat FrameOperations::prepare_init(const cv::Mat& warped, const FrameParams& p, std::uint64_t seed) {
  ops::InitChain steps;
  if (impl_->color_space != ops::ColorSpace::None && impl_->reference)
    steps.colors = &impl_->reference->template_for(impl_->color_space);
  steps.color_strength = impl_->color_strength;
  steps.grayscale = impl_->grayscale;
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
  if (impl_->color_space == ops::ColorSpace::None || !impl_->reference ||
      impl_->color_strength <= 0.0)
    return generated;
  return ops::match_colors(generated, impl_->reference->template_for(impl_->color_space), impl_->color_strength);
}

cv::Mat FrameOperations::grey_generated(const cv::Mat& frame) const {
  return impl_->grayscale ? ops::grey_as_pillow(frame) : frame;
}

cv::Mat FrameOperations::grey_tween(const cv::Mat& frame) const {
  return impl_->grayscale ? ops::grey_as_opencv(frame) : frame;
}

cv::Mat FrameOperations::match_diffused(const cv::Mat& generated) {
  return impl_->legacy_colormatch ? generated : match_output(generated);
}

void FrameOperations::observe_output(const cv::Mat& frame, int frame_index) {
  if (impl_->rolling_reference && uses_color_reference() && frame_index % impl_->reference_every == 0)
    set_color_reference(frame);
}

bool FrameOperations::uses_color_reference() const {
  return impl_->color_space != ops::ColorSpace::None && impl_->color_strength > 0.0;  // strength 0: as None
}

void FrameOperations::set_color_reference(const cv::Mat& reference_rgb) {
  impl_->reference.emplace(reference_rgb);
}

const cv::Mat& FrameOperations::color_reference() const {
  return impl_->reference ? impl_->reference->image() : impl_->empty;
}

}  // namespace k3::anim
