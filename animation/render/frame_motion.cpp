// The three camera motions of a render (animation/render/frame_motion.h).
#include "animation/render/frame_motion.h"

#include "animation/ops/perspective_flip.h"
#include "animation/ops/sampling.h"
#include "animation/ops/warp_2d.h"
#include "animation/ops/warp_3d.h"

#include <optional>

namespace k3::anim {
namespace {

std::optional<ops::PerspectiveFlip> flip_of(bool enabled, const FrameParams& p) {
  if (!enabled) return std::nullopt;
  return ops::PerspectiveFlip{p.flip_theta, p.flip_phi, p.flip_gamma, p.flip_fv, true};
}

class NoMotion final : public FrameMotion {
 public:
  cv::Mat warp(const cv::Mat& image, const FrameParams&, int, const cv::Mat*) override { return image.clone(); }
};

// 2D warps sample bilinearly with the `border` mode (cv2.warpPerspective's defaults).
class Motion2D final : public FrameMotion {
 public:
  explicit Motion2D(const MotionSettings& m)
      : flip_(m.enable_perspective_flip),
        drop_translation_(m.flip_drops_translation),
        sampling_{ops::parse_border_mode(m.border), ops::Interpolation::Bilinear} {}

  cv::Mat warp(const cv::Mat& image, const FrameParams& p, int, const cv::Mat*) override {
    ops::Warp2D w;
    w.angle = p.angle;
    w.zoom = p.zoom;
    w.translation_x = p.translation_x;
    w.translation_y = p.translation_y;
    w.center_x = p.transform_center_x;
    w.center_y = p.transform_center_y;
    w.perspective_flip = flip_of(flip_, p);
    w.drop_translation_with_flip = drop_translation_;
    return ops::warp_2d(image, w, sampling_);
  }

 private:
  bool flip_, drop_translation_;
  ops::SamplingOptions sampling_;
};

// 3D samples with sampling_mode and padding_mode (torch grid_sample in Deforum); the flip, when
// on, is a 2D warp of the frame before it.
class Motion3D final : public FrameMotion {
 public:
  Motion3D(const MotionSettings& m, ops::DepthSource& depth)
      : depth_(depth),
        flip_(m.enable_perspective_flip),
        flip_sampling_{ops::parse_border_mode(m.border), ops::Interpolation::Bilinear},
        sampling_{ops::parse_border_mode(m.padding_mode), ops::parse_interpolation(m.sampling_mode)} {}

  cv::Mat warp(const cv::Mat& image, const FrameParams& p, int frame_index, const cv::Mat* given_depth) override {
    // Deforum predicts the depth on the unwarped frame, before the perspective flip.
    const cv::Mat depth = given_depth ? *given_depth : depth_.depth_for(image, frame_index);
    const auto flip = flip_of(flip_, p);
    const cv::Mat source = flip ? ops::perspective_flip(image, *flip, flip_sampling_) : image;
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
    return ops::warp_3d(source, depth, w, sampling_);
  }

 private:
  ops::DepthSource& depth_;
  bool flip_;
  ops::SamplingOptions flip_sampling_, sampling_;
};

}  // namespace

std::unique_ptr<FrameMotion> make_frame_motion(const RenderSettings& s, ops::DepthSource& depth) {
  if (s.animation_mode == AnimationMode::TwoD) return std::make_unique<Motion2D>(s.motion);
  if (s.animation_mode == AnimationMode::ThreeD) return std::make_unique<Motion3D>(s.motion, depth);
  return std::make_unique<NoMotion>();
}

}  // namespace k3::anim
