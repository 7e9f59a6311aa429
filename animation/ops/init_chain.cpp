// Follows sd-webui-deforum scripts/deforum_helpers/render.py (the order of maintain_colors,
// contrast, unsharp_mask and add_noise on prev_img) and image_sharpening.py (unsharp_mask), fused
// (see init_chain.h).
#include "animation/ops/init_chain.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/contrast.h"
#include "animation/ops/grayscale.h"
#include "animation/ops/image_convert.h"
#include "animation/ops/recycled_mat.h"
#include "animation/ops/row_loops.h"

namespace k3::ops {
namespace {

// The rows of x = clip(matched * gain, 0, 255) (no clip at gain 1, as apply_contrast is not
// called then): from the 8-bit match, converted back to RGB one block of rows at a time and
// through a 256-entry gain table, or from a float image (matched in float, or not matched).
class GainedRows {
 public:
  GainedRows(const cv::Mat& warped, const InitChain& steps) : gain_(static_cast<float>(steps.contrast)) {
    const bool match = steps.colors && steps.colors->space != ColorSpace::None && steps.color_strength > 0.0;
    grayscale_ = steps.grayscale;
    if (match && steps.colors->depth == ColorDepth::EightBit && steps.color_strength == 1.0) {
      eight_bit_ = true;
      match_ = space_match_u8(warped, *steps.colors);
      // convertTo(CV_32F, gain), then min(255) for gains above 1 (8-bit values times a gain are >= 0).
      for (int v = 0; v < 256; ++v) table_[v] = std::min(static_cast<float>(v) * gain_, gain_ > 1.f ? 255.f : 1e30f);
    } else {
      // Strength 0 keeps the frame as it is (no 8-bit round trip either).
      image_ = match ? match_colors(warped, *steps.colors, steps.color_strength) : warped;
      if (grayscale_) image_ = grey_as_opencv(image_);
    }
  }

  // Makes source rows [first, last) available to row() (the 8-bit path converts them back).
  void prepare(int first, int last, cv::Mat& block, int& block_first) const {
    block_first = first;
    if (!eight_bit_) return;
    matched_rows_u8(match_, first, last, block);
    if (grayscale_) {  // as grey_as_opencv, on the 8-bit rows
      cv::Mat grey;
      cv::cvtColor(block, grey, cv::COLOR_RGB2GRAY);
      cv::cvtColor(grey, block, cv::COLOR_GRAY2RGB);
    }
  }

  K3_ROW_LOOP void row(int r, const cv::Mat& block, int block_first, float* out, int count) const {
    if (eight_bit_) {
      const std::uint8_t* in = block.ptr<std::uint8_t>(r - block_first);
      if (gain_ == 1.f) {
        for (int i = 0; i < count; ++i) out[i] = static_cast<float>(in[i]);  // converts 8 at a time
      } else {
        for (int i = 0; i < count; ++i) out[i] = table_[in[i]];
      }
      return;
    }
    const float* in = image_.ptr<float>(r);
    if (gain_ == 1.f) {
      std::copy(in, in + count, out);
      return;
    }
    for (int i = 0; i < count; ++i) {
      float v = in[i] * gain_;
      v = v < 0.f ? 0.f : v;
      out[i] = v > 255.f ? 255.f : v;
    }
  }

 private:
  float gain_;
  bool eight_bit_ = false;
  bool grayscale_ = false;
  SpaceMatch8 match_;
  float table_[256] = {};
  cv::Mat image_;
};

// The taps of the interior of one row, in registers: out[t] = sum_j k[j] * x[t + 3(j - R)] for
// t in [begin, end). Fixed radii (the usual kernels 3, 5, 7) unroll; 0 takes `radius` instead.
template <int FixedR>
K3_ROW_LOOP void filter_interior(const float* x, float* out, int begin, int end, const float* k, int radius) {
  const int r = FixedR > 0 ? FixedR : radius;
  for (int t = begin; t < end; ++t) {
    float sum = 0.f;
    for (int j = 0; j <= 2 * r; ++j) sum += k[j] * x[t + 3 * (j - r)];
    out[t] = sum;
  }
}

// The vertical taps over the horizontally filtered rows around row r, and then anti_blur.cpp's
// arithmetic: clip((amount+1)*x - amount*blurred, 0, 255), x kept where |x - blurred| is below
// the threshold (never, at threshold 0). Ternaries so that the loop vectorises.
template <int FixedR>
K3_ROW_LOOP void blur_sharpen(const float* const* filtered, const float* x, float* out, int count, const float* k,
                              int radius, float gain, float loss, float threshold) {
  const int r = FixedR > 0 ? FixedR : radius;
  for (int i = 0; i < count; ++i) {
    float blurred = 0.f;
    for (int j = 0; j <= 2 * r; ++j) blurred += k[j] * filtered[j][i];
    float v = gain * x[i] + loss * blurred;
    v = v < 0.f ? 0.f : v;
    v = v > 255.f ? 255.f : v;
    const float contrast = x[i] - blurred;
    out[i] = (contrast < threshold && -contrast < threshold) ? x[i] : v;
  }
}

// cv::GaussianBlur's separable kernel on float images (getGaussianKernel, CV_32F) and its
// default border (reflect-101), on rows of interleaved RGB.
struct Gaussian {
  int radius = 0;
  std::vector<float> k;

  Gaussian(int size, double sigma) : radius(size / 2) {
    const cv::Mat kernel = cv::getGaussianKernel(size, std::max(sigma, 0.0), CV_32F);
    k.assign(kernel.ptr<float>(), kernel.ptr<float>() + size);
  }

  // out = the row x filtered along its `width` pixels.
  void horizontal(const float* x, float* out, int width) const {
    const int first = std::min(radius, width), last = std::max(first, width - radius);  // interior pixels
    switch (radius) {
      case 1: filter_interior<1>(x, out, 3 * first, 3 * last, k.data(), radius); break;
      case 2: filter_interior<2>(x, out, 3 * first, 3 * last, k.data(), radius); break;
      case 3: filter_interior<3>(x, out, 3 * first, 3 * last, k.data(), radius); break;
      default: filter_interior<0>(x, out, 3 * first, 3 * last, k.data(), radius);
    }
    for (int i = 0; i < width; ++i) {
      if (i == first) i = last;
      if (i >= width) break;
      float sum[3] = {0.f, 0.f, 0.f};
      for (int j = 0; j < 2 * radius + 1; ++j) {
        const float* p = x + 3 * cv::borderInterpolate(i + j - radius, width, cv::BORDER_REFLECT_101);
        for (int c = 0; c < 3; ++c) sum[c] += k[j] * p[c];
      }
      for (int c = 0; c < 3; ++c) out[3 * i + c] = sum[c];
    }
  }

  // out = anti-blur of row x, from the 2*radius+1 filtered rows around it.
  void vertical_sharpen(const float* const* filtered, const float* x, float* out, int count, const AntiBlur& s) const {
    const float gain = static_cast<float>(s.amount + 1.0), loss = static_cast<float>(-s.amount);
    const float threshold = static_cast<float>(s.threshold);
    switch (radius) {
      case 1: blur_sharpen<1>(filtered, x, out, count, k.data(), radius, gain, loss, threshold); break;
      case 2: blur_sharpen<2>(filtered, x, out, count, k.data(), radius, gain, loss, threshold); break;
      case 3: blur_sharpen<3>(filtered, x, out, count, k.data(), radius, gain, loss, threshold); break;
      default: blur_sharpen<0>(filtered, x, out, count, k.data(), radius, gain, loss, threshold);
    }
  }
};

// One block of output rows [rows.start, rows.end): x and its horizontal blur are kept for the
// 2*radius+1 rows around the current one in a ring, so each source row is converted and
// filtered once per block (plus the block's margins), and everything stays in cache until the
// noised row is written.
void run_block(const cv::Range& rows, const GainedRows& source, const Gaussian* blur, const AntiBlur& sharpen,
               const NoiseRows& noise, cv::Mat& out) {
  const int height = out.rows, width = out.cols, count = width * 3;
  const int radius = blur ? blur->radius : 0;
  cv::Mat block;
  int block_first = 0;
  source.prepare(std::max(0, rows.start - radius), std::min(height, rows.end + radius), block, block_first);
  NoiseRows::Scratch scratch = noise.scratch();
  std::vector<float> sharp(count);
  if (!blur) {
    for (int r = rows.start; r < rows.end; ++r) {
      source.row(r, block, block_first, sharp.data(), count);
      noise.blend_row(r, sharp.data(), out.ptr<float>(r), scratch);
    }
    return;
  }
  const int slots = 2 * radius + 1;
  std::vector<float> x(static_cast<std::size_t>(slots) * count), filtered(static_cast<std::size_t>(slots) * count);
  std::vector<const float*> around(slots);
  const auto slot = [&](int v) { return static_cast<std::size_t>(((v % slots) + slots) % slots) * count; };
  const auto load = [&](int v) {  // virtual row v (may lie beyond the image: reflected)
    const std::size_t s = slot(v);
    source.row(cv::borderInterpolate(v, height, cv::BORDER_REFLECT_101), block, block_first, &x[s], count);
    blur->horizontal(&x[s], &filtered[s], width);
  };
  for (int v = rows.start - radius; v < rows.start + radius; ++v) load(v);
  for (int r = rows.start; r < rows.end; ++r) {
    load(r + radius);
    for (int j = 0; j < slots; ++j) around[j] = &filtered[slot(r + j - radius)];
    blur->vertical_sharpen(around.data(), &x[slot(r)], sharp.data(), count, sharpen);
    noise.blend_row(r, sharp.data(), out.ptr<float>(r), scratch);
  }
}

}  // namespace

cv::Mat prepare_init_frame(const cv::Mat& warped_rgb, const InitChain& steps) {
  require_float_rgb(warped_rgb, "prepare_init_frame");
  validate_contrast(steps.contrast);
  validate_anti_blur(steps.anti_blur);
  const NoiseRows noise(warped_rgb.size(), steps.noise);
  const GainedRows source(warped_rgb, steps);
  const bool sharpen = steps.anti_blur.amount > 0.0;
  const Gaussian blur(sharpen ? steps.anti_blur.kernel : 1, steps.anti_blur.sigma);
  thread_local cv::Mat cache;
  cv::Mat out = recycled(cache, warped_rgb.size(), CV_32FC3);
  cv::parallel_for_(
      cv::Range(0, out.rows),
      [&](const cv::Range& rows) { run_block(rows, source, sharpen ? &blur : nullptr, steps.anti_blur, noise, out); },
      row_block_stripes(out.rows));
  return out;
}

}  // namespace k3::ops
