#pragma once
// How a warp reads pixels that fall between or outside the source pixels.
// Names follow Deforum's settings: `border` (2D: replicate/wrap), `padding_mode` (3D:
// border/reflection/zeros) and `sampling_mode` (3D: nearest/bilinear/bicubic).
#include <string>

namespace k3::ops {

enum class BorderMode { Replicate, Wrap, Reflect, Zeros };
enum class Interpolation { Nearest, Bilinear, Bicubic, Lanczos };

struct SamplingOptions {
  BorderMode border = BorderMode::Replicate;
  Interpolation interpolation = Interpolation::Bilinear;
};

// "replicate" (alias Deforum 3D "border"), "wrap", "reflect" (alias "reflection"), "zeros".
// Throws k3::ConfigError("border mode: expected one of ..., got ...").
BorderMode parse_border_mode(const std::string& name);
// "nearest", "bilinear", "bicubic", "lanczos". Throws k3::ConfigError.
Interpolation parse_interpolation(const std::string& name);

std::string to_string(BorderMode mode);
std::string to_string(Interpolation interpolation);

// OpenCV's cv::BORDER_* and cv::INTER_* constants for the options.
int to_cv_border(BorderMode mode);
int to_cv_interpolation(Interpolation interpolation);

// True when the interpolation can overshoot the input range (cubic, Lanczos), so that the
// result needs clamping to [0,255] as 8-bit warps in Deforum saturate.
bool interpolation_overshoots(Interpolation interpolation);

}  // namespace k3::ops
