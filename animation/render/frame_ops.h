#pragma once
// The per-frame image chain of Deforum (spec deforum.md 3.1): warp, colour match, contrast,
// anti-blur, noise before diffusion; colour match after. Built once per render from its
// settings; each step is one k3::ops call.
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>
#include <memory>

namespace k3::anim {

class FrameOperations {
 public:
  explicit FrameOperations(const RenderSettings& settings);
  ~FrameOperations();
  FrameOperations(const FrameOperations&) = delete;
  FrameOperations& operator=(const FrameOperations&) = delete;

  // The motion of frame `frame_index` applied to `image` (CV_32FC3 RGB): 2D, 3D or none. The 3D
  // warp uses `depth` (world z from depth_for) when given, else predicts it on `image`.
  cv::Mat warp(const cv::Mat& image, const FrameParams& params, int frame_index, const cv::Mat* depth = nullptr);
  // A relative flow (CV_32FC2, optical-flow cadence) moved by frame `frame_index`'s motion as
  // Deforum moves it: as an image, with the given depth (none: flat); in 3D clamped to [0,255]
  // afterwards, as Deforum's grid-sample warp clamps every image (so that a flow keeps only its
  // non-negative components there).
  cv::Mat warp_flow(const cv::Mat& flow, const FrameParams& params, int frame_index, const cv::Mat* depth);
  // What the operations' own components found worth saying (a depth model's unread config keys).
  const std::vector<std::string>& warnings() const;
  // True in 3D mode with a depth source other than flat.
  bool uses_depth() const;
  // World z of `image` (CV_32FC1, empty = flat) from the render's depth source; the raw map
  // behind it (what save_depth_maps writes) is last_raw_depth() until the next call.
  cv::Mat depth_for(const cv::Mat& image, int frame_index);
  const cv::Mat& last_raw_depth() const;
  // Colour match, contrast, anti-blur and noise (seeded with the frame's seed) on a warped frame.
  cv::Mat prepare_init(const cv::Mat& warped, const FrameParams& params, std::uint64_t seed);
  // Colour match of a generated frame (a no-op without colour coherence or reference).
  cv::Mat match_output(const cv::Mat& generated);
  // The same for a frame diffused from the warped previous one: unmatched with legacy_colormatch.
  cv::Mat match_diffused(const cv::Mat& generated);
  // color_force_grayscale (2D, 3D, None), else the frame itself: a generated frame grey as Pillow
  // makes it, a tween grey as OpenCV does (Deforum's two conversions).
  cv::Mat grey_generated(const cv::Mat& frame) const;
  cv::Mat grey_tween(const cv::Mat& frame) const;

  // A finished output frame (CV_32FC3 RGB): with color_reference "previous" it becomes the
  // reference when its index is a multiple of color_reference_every.
  void observe_output(const cv::Mat& frame, int frame_index);

  bool uses_color_reference() const;
  void set_color_reference(const cv::Mat& reference_rgb);
  const cv::Mat& color_reference() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace k3::anim
