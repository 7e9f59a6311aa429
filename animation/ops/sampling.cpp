// Follows sd-webui-deforum scripts/deforum_helpers/animation.py (border, padding and sampling modes).
#include "animation/ops/sampling.h"

#include <opencv2/imgproc.hpp>

#include "base/errors.h"

namespace k3::ops {

BorderMode parse_border_mode(const std::string& name) {
  if (name == "replicate" || name == "border") return BorderMode::Replicate;
  if (name == "wrap") return BorderMode::Wrap;
  if (name == "reflect" || name == "reflection") return BorderMode::Reflect;
  if (name == "zeros") return BorderMode::Zeros;
  throw ConfigError("border mode: expected one of replicate, wrap, reflect, zeros (or Deforum's border, "
                    "reflection), got \"" + name + "\"");
}

Interpolation parse_interpolation(const std::string& name) {
  if (name == "nearest") return Interpolation::Nearest;
  if (name == "bilinear") return Interpolation::Bilinear;
  if (name == "bicubic") return Interpolation::Bicubic;
  if (name == "lanczos") return Interpolation::Lanczos;
  throw ConfigError("interpolation: expected one of nearest, bilinear, bicubic, lanczos, got \"" + name + "\"");
}

std::string to_string(BorderMode mode) {
  switch (mode) {
    case BorderMode::Replicate: return "replicate";
    case BorderMode::Wrap: return "wrap";
    case BorderMode::Reflect: return "reflect";
    case BorderMode::Zeros: return "zeros";
  }
  return "replicate";
}

std::string to_string(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::Nearest: return "nearest";
    case Interpolation::Bilinear: return "bilinear";
    case Interpolation::Bicubic: return "bicubic";
    case Interpolation::Lanczos: return "lanczos";
  }
  return "bilinear";
}

int to_cv_border(BorderMode mode) {
  switch (mode) {
    case BorderMode::Replicate: return cv::BORDER_REPLICATE;
    case BorderMode::Wrap: return cv::BORDER_WRAP;
    // torch grid_sample "reflection" with align_corners=False mirrors about the pixel edges,
    // which is OpenCV's BORDER_REFLECT (edge pixel repeated), not BORDER_REFLECT_101.
    case BorderMode::Reflect: return cv::BORDER_REFLECT;
    case BorderMode::Zeros: return cv::BORDER_CONSTANT;
  }
  return cv::BORDER_REPLICATE;
}

int to_cv_interpolation(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::Nearest: return cv::INTER_NEAREST;
    case Interpolation::Bilinear: return cv::INTER_LINEAR;
    // OpenCV's cubic kernel uses A = -0.75, as torch's grid_sample bicubic does.
    case Interpolation::Bicubic: return cv::INTER_CUBIC;
    case Interpolation::Lanczos: return cv::INTER_LANCZOS4;
  }
  return cv::INTER_LINEAR;
}

bool interpolation_overshoots(Interpolation interpolation) {
  return interpolation == Interpolation::Bicubic || interpolation == Interpolation::Lanczos;
}

}  // namespace k3::ops
