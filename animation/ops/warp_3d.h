#pragma once
// Deforum's 3D motion: reproject the previous frame, seen from a camera that moved and turned,
// using a depth map (or a flat plane at z = 1). A backward warp without z-buffer, as Deforum's.
#include <opencv2/core.hpp>

#include "animation/ops/sampling.h"

namespace k3::ops {

struct Warp3D {
  // Deforum units: 200 = one world unit (Disco Diffusion's scale). +x moves the content
  // left (the camera moves right), +y moves it down, +z moves the camera forward (zoom in).
  double translation_x = 0.0;
  double translation_y = 0.0;
  double translation_z = 0.0;
  // Degrees: tilt (about x), pan (about y), roll (about z); R = Rx * Ry * Rz, PyTorch3D "XYZ".
  double rotation_x = 0.0;
  double rotation_y = 0.0;
  double rotation_z = 0.0;
  double fov = 70.0;           // degrees, in (0, 180)
  double aspect_ratio = 1.0;   // Deforum's aspect_ratio_schedule (W/H with its old formula)
  double near = 200.0;         // kept for settings compatibility: they cancel out of the
  double far = 10000.0;        // projected x, y and so have no effect on the result
};

// Deforum's translation scale: world units per translation unit.
constexpr double kDeforumTranslationScale = 1.0 / 200.0;

// Where each destination pixel samples the source: CV_32FC1 maps of source column and row
// (pixel centres at integers), as cv::remap takes them. `depth` is a CV_32FC1 map of world z
// of the source image's size, or empty for a flat plane (z = 1).
// Throws k3::ConfigError on a bad fov, near/far, aspect ratio or depth size/type.
void warp_3d_maps(cv::Size size, const cv::Mat& depth, const Warp3D& warp, cv::Mat& map_x, cv::Mat& map_y);

// Warps a CV_32FC3 RGB image (same size out), clamped to [0,255]. With Deforum's perspective
// flip enabled in 3D mode, apply perspective_flip() first, then this (as Deforum does).
// Deforum's default 3D sampling is bicubic with "border" (= Replicate) padding.
cv::Mat warp_3d(const cv::Mat& image, const cv::Mat& depth, const Warp3D& warp, const SamplingOptions& sampling);

}  // namespace k3::ops
