// Follows sd-webui-deforum scripts/deforum_helpers/noise.py (add_noise, rand_perlin_2d_octaves).
// Not bit-identical to Deforum: torch's CPU generator is replaced by a counter-based hash per row
// (so that the result does not depend on the thread count) and inverse-CDF Gaussian sampling.
#include "animation/ops/noise.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include <opencv2/core/utility.hpp>

#include "animation/ops/gaussian_table.h"
#include "animation/ops/image_convert.h"
#include "base/errors.h"

namespace k3::ops {
namespace {

constexpr double kTwoPi = 6.28318530717958647692;
constexpr std::uint64_t kPerlinStream = 0x5045524c494e0000ull;  // "PERLIN"
constexpr std::uint64_t kWhiteStream = 0x5748495445000000ull;   // "WHITE"

std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const std::uint64_t s = mix64(mix64(seed ^ stream) + index);
  return s == 0 ? 1 : s;  // cv::RNG treats state 0 specially
}

float fade(float t) { return t * t * t * (t * (t * 6.f - 15.f) + 10.f); }

// One octave's lattice: (rows+1) x (cols+1) unit gradients, plus per-column lookups.
struct PerlinOctave {
  int cells_y = 0, cells_x = 0;
  float amplitude = 1.f;
  std::vector<float> grad_y, grad_x;  // gradient components, (cells_y+1) x (cols+1) row-major
  std::vector<int> col_cell;          // lattice column of each pixel column
  std::vector<float> col_frac, col_fade;

  float gy(int cy, int cx) const { return grad_y[static_cast<std::size_t>(cy) * (cells_x + 1) + cx]; }
  float gx(int cy, int cx) const { return grad_x[static_cast<std::size_t>(cy) * (cells_x + 1) + cx]; }
};

std::vector<PerlinOctave> make_octaves(cv::Size size, const PerlinOptions& options, std::uint64_t seed) {
  std::vector<PerlinOctave> octaves(options.octaves);
  float amplitude = 1.f;
  for (int o = 0; o < options.octaves; ++o) {
    PerlinOctave& oc = octaves[o];
    oc.cells_y = options.height_cells << o;
    oc.cells_x = options.width_cells << o;
    oc.amplitude = amplitude;
    amplitude *= static_cast<float>(options.persistence);
    cv::RNG rng(stream_seed(seed, kPerlinStream, static_cast<std::uint64_t>(o)));
    const std::size_t count = static_cast<std::size_t>(oc.cells_y + 1) * (oc.cells_x + 1);
    oc.grad_y.resize(count);
    oc.grad_x.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      const double angle = kTwoPi * rng.uniform(0.0, 1.0);
      // Deforum pairs cos with the first (row) axis and sin with the second (column) axis.
      oc.grad_y[i] = static_cast<float>(std::cos(angle));
      oc.grad_x[i] = static_cast<float>(std::sin(angle));
    }
    oc.col_cell.resize(size.width);
    oc.col_frac.resize(size.width);
    oc.col_fade.resize(size.width);
    for (int c = 0; c < size.width; ++c) {
      const double position = static_cast<double>(c) * oc.cells_x / size.width;
      const int cell = std::min(oc.cells_x - 1, static_cast<int>(position));
      oc.col_cell[c] = cell;
      oc.col_frac[c] = static_cast<float>(position - cell);
      oc.col_fade[c] = fade(oc.col_frac[c]);
    }
  }
  return octaves;
}

// Adds the octaves' values for one pixel row into `row_out` (size.width floats, zeroed by caller).
void perlin_row(const std::vector<PerlinOctave>& octaves, int row, int height, float* row_out, int width) {
  const float sqrt2 = 1.41421356237f;
  for (const PerlinOctave& oc : octaves) {
    const double position = static_cast<double>(row) * oc.cells_y / height;
    const int cy = std::min(oc.cells_y - 1, static_cast<int>(position));
    const float fy = static_cast<float>(position - cy);
    const float ty = fade(fy);
    const float scale = sqrt2 * oc.amplitude;
    // Column runs within one lattice cell share their four gradients: the inner loop is then
    // plain arithmetic over contiguous arrays, which the compiler vectorises.
    for (int start = 0; start < width;) {
      const int cx = oc.col_cell[start];
      int end = start + 1;
      while (end < width && oc.col_cell[end] == cx) ++end;
      const float g00y = oc.gy(cy, cx), g00x = oc.gx(cy, cx), g10y = oc.gy(cy + 1, cx), g10x = oc.gx(cy + 1, cx);
      const float g01y = oc.gy(cy, cx + 1), g01x = oc.gx(cy, cx + 1);
      const float g11y = oc.gy(cy + 1, cx + 1), g11x = oc.gx(cy + 1, cx + 1);
      const float* frac = oc.col_frac.data();
      const float* fade_x = oc.col_fade.data();
      for (int c = start; c < end; ++c) {
        const float fx = frac[c];
        const float n00 = g00y * fy + g00x * fx;
        const float n10 = g10y * (fy - 1.f) + g10x * fx;
        const float n01 = g01y * fy + g01x * (fx - 1.f);
        const float n11 = g11y * (fy - 1.f) + g11x * (fx - 1.f);
        const float a = n00 + ty * (n10 - n00);
        const float b = n01 + ty * (n11 - n01);
        row_out[c] += scale * (a + fade_x[c] * (b - a));
      }
      start = end;
    }
  }
}

void validate_perlin(const PerlinOptions& options) {
  if (options.width_cells < 1 || options.height_cells < 1)
    throw ConfigError("perlin_w/perlin_h: expected >= 1 cells, got " + std::to_string(options.width_cells) + "x" +
                      std::to_string(options.height_cells));
  if (options.octaves < 1 || options.octaves > 16)
    throw ConfigError("perlin_octaves: expected 1..16, got " + std::to_string(options.octaves));
  if (!(options.persistence >= 0.0 && options.persistence <= 1.0))
    throw ConfigError("perlin_persistence: expected a value in [0,1], got " + std::to_string(options.persistence));
}

void validate_size(cv::Size size, const char* what) {
  if (size.width <= 0 || size.height <= 0)
    throw ConfigError(std::string(what) + ": expected a non-empty size, got " + std::to_string(size.width) + "x" +
                      std::to_string(size.height));
}

// Fills one row of n (3 floats per pixel): N(0,1), times (P+1)/2 for Perlin.
struct RowNoise {
  const NoiseOptions& options;
  const std::vector<PerlinOctave>& octaves;
  cv::Size size;

  void fill(int row, float* n, std::vector<float>& perlin_scratch) const {
    fill_gaussian(stream_seed(options.seed, kWhiteStream, static_cast<std::uint64_t>(row)), n, size.width * 3);
    if (options.type != NoiseType::Perlin) return;
    std::fill(perlin_scratch.begin(), perlin_scratch.end(), 0.f);
    perlin_row(octaves, row, size.height, perlin_scratch.data(), size.width);
    for (int c = 0; c < size.width; ++c) {
      const float modulation = (perlin_scratch[c] + 1.f) * 0.5f;
      n[3 * c] *= modulation;
      n[3 * c + 1] *= modulation;
      n[3 * c + 2] *= modulation;
    }
  }
};

}  // namespace

NoiseType parse_noise_type(const std::string& name) {
  if (name == "uniform") return NoiseType::Uniform;
  if (name == "perlin") return NoiseType::Perlin;
  throw ConfigError("noise_type: expected one of uniform, perlin, got \"" + name + "\"");
}

std::string to_string(NoiseType type) { return type == NoiseType::Perlin ? "perlin" : "uniform"; }

cv::Mat perlin_noise(cv::Size size, const PerlinOptions& options, std::uint64_t seed) {
  validate_size(size, "perlin noise");
  validate_perlin(options);
  const std::vector<PerlinOctave> octaves = make_octaves(size, options, seed);
  cv::Mat out = cv::Mat::zeros(size, CV_32FC1);
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& rows) {
    for (int r = rows.start; r < rows.end; ++r) perlin_row(octaves, r, size.height, out.ptr<float>(r), size.width);
  });
  return out;
}

cv::Mat noise_field(cv::Size size, const NoiseOptions& options) {
  validate_size(size, "noise");
  if (options.type == NoiseType::Perlin) validate_perlin(options.perlin);
  const std::vector<PerlinOctave> octaves =
      options.type == NoiseType::Perlin ? make_octaves(size, options.perlin, options.seed) : std::vector<PerlinOctave>{};
  const RowNoise noise{options, octaves, size};
  cv::Mat out(size, CV_32FC3);
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& rows) {
    std::vector<float> scratch(size.width);
    for (int r = rows.start; r < rows.end; ++r) noise.fill(r, out.ptr<float>(r), scratch);
  });
  return out;
}

namespace {
void check_amount(const NoiseOptions& options) {
  if (!(options.amount >= 0.0 && options.amount <= 1.0))
    throw ConfigError("noise amount: expected a value in [0,1], got " + std::to_string(options.amount));
  if (options.type == NoiseType::Perlin) validate_perlin(options.perlin);
}

// noise_image = clip(n*127.5 + 127.5, 0, 255), out = (1-a)*x + a*noise_image over one row of
// `count` values. Clamps written as ternaries so that GCC vectorises the loop (maxps/minps):
// measured 2x faster than the same row through cv::Mat operations (one core, 1024x1024).
void blend_row(const float* x, const float* n, float* out, int count, double amount) {
  const float keep = static_cast<float>(1.0 - amount), take = static_cast<float>(amount);
  for (int i = 0; i < count; ++i) {
    float noise_image = n[i] * 127.5f + 127.5f;
    noise_image = noise_image < 0.f ? 0.f : noise_image;
    noise_image = noise_image > 255.f ? 255.f : noise_image;
    out[i] = keep * x[i] + take * noise_image;
  }
}
}  // namespace

cv::Mat add_noise_rows(cv::Size size, const NoiseOptions& options, const std::function<void(int, float*)>& image_row) {
  validate_size(size, "noise");
  check_amount(options);
  const std::vector<PerlinOctave> octaves =
      options.type == NoiseType::Perlin ? make_octaves(size, options.perlin, options.seed) : std::vector<PerlinOctave>{};
  const RowNoise noise{options, octaves, size};
  cv::Mat out(size, CV_32FC3);
  const int count = size.width * 3;
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& rows) {
    std::vector<float> scratch(size.width);
    std::vector<float> n(static_cast<std::size_t>(count)), x(static_cast<std::size_t>(count));
    for (int r = rows.start; r < rows.end; ++r) {
      image_row(r, x.data());
      if (options.amount == 0.0) {
        std::copy(x.begin(), x.end(), out.ptr<float>(r));
        continue;
      }
      noise.fill(r, n.data(), scratch);
      blend_row(x.data(), n.data(), out.ptr<float>(r), count, options.amount);
    }
  });
  return out;
}

cv::Mat add_noise(const cv::Mat& image, const NoiseOptions& options) {
  require_float_rgb(image, "add_noise");
  check_amount(options);
  if (options.amount == 0.0) return image.clone();
  const cv::Size size = image.size();
  const std::vector<PerlinOctave> octaves =
      options.type == NoiseType::Perlin ? make_octaves(size, options.perlin, options.seed) : std::vector<PerlinOctave>{};
  const RowNoise noise{options, octaves, size};
  cv::Mat out(size, CV_32FC3);
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& rows) {
    std::vector<float> scratch(size.width);
    std::vector<float> n(static_cast<std::size_t>(size.width) * 3);
    for (int r = rows.start; r < rows.end; ++r) {
      noise.fill(r, n.data(), scratch);
      blend_row(image.ptr<float>(r), n.data(), out.ptr<float>(r), size.width * 3, options.amount);
    }
  });
  return out;
}

}  // namespace k3::ops
