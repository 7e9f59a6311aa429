#pragma once
// Deforum's pixel noise: Gaussian white noise, optionally modulated by a Perlin field, turned
// into a mid-grey-centred noise image and blended into the frame before img2img.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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

// add_noise one row at a time, for a fused chain (init_chain.h) whose image is never stored
// whole: it reads and writes each row once. The octave lattices are built once, in the
// constructor; rows may be blended in any order, from any thread (one Scratch per thread).
// blend_row on every row equals add_noise on the assembled image.
class NoiseRows {
 public:
  // Throws k3::ConfigError on an empty size, an amount outside [0,1] or bad Perlin options.
  NoiseRows(cv::Size size, const NoiseOptions& options);
  ~NoiseRows();
  NoiseRows(const NoiseRows&) = delete;
  NoiseRows& operator=(const NoiseRows&) = delete;

  struct Scratch {
    std::vector<float> n, perlin;  // one row of n (3 floats per pixel) and of P
  };
  Scratch scratch() const;
  // The row's n (size.width * 3 floats): N(0,1), times (P+1)/2 for Perlin.
  void fill(int row, float* n, Scratch& scratch) const;
  // out = (1-a)*x + a*noise_image over row `row` (size.width * 3 floats); `out` may be `x`.
  void blend_row(int row, const float* x, float* out, Scratch& scratch) const;

  struct Impl;  // defined in noise.cpp (noise_field uses it too)

 private:
  std::unique_ptr<const Impl> impl_;
};

}  // namespace k3::ops
