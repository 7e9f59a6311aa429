#pragma once
// Deforum's pixel noise: Gaussian white noise, optionally modulated by a Perlin field, turned
// into a mid-grey-centred noise image and blended into the frame before img2img.
#include <cstdint>
#include <functional>
#include <string>

#include <opencv2/core.hpp>

namespace k3::ops {

// Deforum's noise_type. "uniform" is Deforum's name for plain Gaussian white noise.
enum class NoiseType { Uniform, Perlin };
// "uniform" or "perlin"; throws k3::ConfigError.
NoiseType parse_noise_type(const std::string& name);
std::string to_string(NoiseType type);

struct PerlinOptions {
  int width_cells = 8;       // perlin_w: lattice cells across the width at the first octave
  int height_cells = 8;      // perlin_h: ... down the height
  int octaves = 4;           // perlin_octaves, >= 1; the cell count doubles per octave
  double persistence = 0.5;  // perlin_persistence: amplitude factor per octave
};

struct NoiseOptions {
  double amount = 0.065;  // noise_schedule: blend weight of the noise image, in [0,1]
  std::uint64_t seed = 0; // the frame's seed: same seed, same noise
  NoiseType type = NoiseType::Perlin;
  PerlinOptions perlin;
};

// Perlin octaves (CV_32FC1): sum over octaves o of persistence^o * sqrt(2) * perlin(cells * 2^o),
// quintic fade, unit gradients at random angles. Each octave lies in [-1,1] and is 0 at
// lattice points; the sum lies within +-(1 + p + p^2 + ...). Throws k3::ConfigError.
cv::Mat perlin_noise(cv::Size size, const PerlinOptions& options, std::uint64_t seed);

// The per-pixel noise n (CV_32FC3): N(0,1) per channel, times (P + 1) / 2 for Perlin with P
// shared by the channels. Deterministic in the seed, independent of the thread count.
cv::Mat noise_field(cv::Size size, const NoiseOptions& options);

// out = image + amount * (noise_image - image), noise_image = clip(n/2 + 1/2, 0, 1) * 255, on a
// CV_32FC3 image. amount 0 returns the image unchanged. Throws k3::ConfigError.
cv::Mat add_noise(const cv::Mat& image, const NoiseOptions& options);

// add_noise without a mask on an image that is never stored whole: `image_row(r, dst)` writes
// row r (size.width * 3 floats) into dst, just before that row is noised, so a fused chain
// (init_chain.h) reads and writes the frame once for its last steps. Rows are produced in
// parallel, in any order. The same result as add_noise on the assembled image.
cv::Mat add_noise_rows(cv::Size size, const NoiseOptions& options, const std::function<void(int, float*)>& image_row);

}  // namespace k3::ops
