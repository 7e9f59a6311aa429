// Follows transformers 4.39.3 models/dpt/image_processing_dpt.py (size rule, rescale, normalise),
// image_transforms.py (resize through PIL, 8-bit) and Pillow 9.4 src/libImaging/Resample.c (the
// resampling filters, their coefficient normalisation and fixed-point rounding).
#include "depth/depth_processor.h"

#include "base/errors.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace k3::depth {
namespace {

// Python's round(): halves go to the even neighbour (nearbyint in the default rounding mode).
int64_t round_half_even(double value) {
  const double lower = std::floor(value);
  const double diff = value - lower;
  if (diff > 0.5) return static_cast<int64_t>(lower) + 1;
  if (diff < 0.5) return static_cast<int64_t>(lower);
  const auto l = static_cast<int64_t>(lower);
  return l % 2 == 0 ? l : l + 1;
}

int64_t constrain_to_multiple_of(double value, int64_t multiple) {
  int64_t x = round_half_even(value / static_cast<double>(multiple)) * multiple;
  if (x < 0) x = static_cast<int64_t>(std::ceil(value / static_cast<double>(multiple))) * multiple;
  return x;
}

constexpr int kPrecisionBits = 32 - 8 - 2;

double bilinear_filter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// One axis' coefficients: for each output index its first input index, its tap count and
// fixed-point weights (ksize per output).
struct Coefficients {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int> weights;
};

Coefficients precompute(int in_size, int out_size, int resample) {
  const double filter_support = resample == 2 ? 1.0 : 2.0;
  double (*filter)(double) = resample == 2 ? bilinear_filter : bicubic_filter;
  const double scale = static_cast<double>(static_cast<float>(in_size) - 0.0f) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = filter_support * filterscale;
  Coefficients c;
  c.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.first.resize(static_cast<std::size_t>(out_size));
  c.count.resize(static_cast<std::size_t>(out_size));
  c.weights.assign(static_cast<std::size_t>(out_size) * static_cast<std::size_t>(c.ksize), 0);
  std::vector<double> k(static_cast<std::size_t>(c.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = filter((x + xmin - center + 0.5) * ss);
      k[static_cast<std::size_t>(x)] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      double v = ww != 0.0 ? k[static_cast<std::size_t>(x)] / ww : k[static_cast<std::size_t>(x)];
      // Pillow's normalize_coeffs_8bpc: round half away from zero into 22-bit fixed point.
      const double scaled = v * (1 << kPrecisionBits);
      c.weights[static_cast<std::size_t>(xx * c.ksize + x)] = static_cast<int>(v < 0 ? -0.5 + scaled : 0.5 + scaled);
    }
    c.first[static_cast<std::size_t>(xx)] = xmin;
    c.count[static_cast<std::size_t>(xx)] = xmax;
  }
  return c;
}

std::uint8_t clip8(int64_t in) {
  if (in >= (int64_t{1} << kPrecisionBits << 8)) return 255;
  if (in <= 0) return 0;
  return static_cast<std::uint8_t>(in >> kPrecisionBits);
}

// Horizontal pass over rows [row0, row0 + rows) of `in` into an image of `out_width` columns.
ImageRGB8 resample_horizontal(const ImageRGB8& in, int out_width, int row0, int rows, const Coefficients& c) {
  ImageRGB8 out{out_width, rows, std::vector<std::uint8_t>(static_cast<std::size_t>(out_width) * rows * 3)};
  for (int y = 0; y < rows; ++y) {
    const std::uint8_t* src = in.pixels.data() + static_cast<std::size_t>(y + row0) * in.width * 3;
    std::uint8_t* dst = out.pixels.data() + static_cast<std::size_t>(y) * out_width * 3;
    for (int xx = 0; xx < out_width; ++xx) {
      const int* k = c.weights.data() + static_cast<std::size_t>(xx) * c.ksize;
      const int xmin = c.first[static_cast<std::size_t>(xx)], xmax = c.count[static_cast<std::size_t>(xx)];
      for (int ch = 0; ch < 3; ++ch) {
        int64_t ss = int64_t{1} << (kPrecisionBits - 1);
        for (int x = 0; x < xmax; ++x) ss += static_cast<int64_t>(src[(x + xmin) * 3 + ch]) * k[x];
        dst[xx * 3 + ch] = clip8(ss);
      }
    }
  }
  return out;
}

ImageRGB8 resample_vertical(const ImageRGB8& in, int out_height, const Coefficients& c, int row_offset) {
  ImageRGB8 out{in.width, out_height, std::vector<std::uint8_t>(static_cast<std::size_t>(in.width) * out_height * 3)};
  const std::size_t stride = static_cast<std::size_t>(in.width) * 3;
  for (int yy = 0; yy < out_height; ++yy) {
    const int* k = c.weights.data() + static_cast<std::size_t>(yy) * c.ksize;
    const int ymin = c.first[static_cast<std::size_t>(yy)] - row_offset, ymax = c.count[static_cast<std::size_t>(yy)];
    std::uint8_t* dst = out.pixels.data() + static_cast<std::size_t>(yy) * stride;
    for (std::size_t i = 0; i < stride; ++i) {
      int64_t ss = int64_t{1} << (kPrecisionBits - 1);
      for (int y = 0; y < ymax; ++y) ss += static_cast<int64_t>(in.pixels[static_cast<std::size_t>(y + ymin) * stride + i]) * k[y];
      dst[i] = clip8(ss);
    }
  }
  return out;
}

}  // namespace

Size2 resize_output_size(int64_t height, int64_t width, const ProcessorConfig& config) {
  double scale_h = static_cast<double>(config.height) / static_cast<double>(height);
  double scale_w = static_cast<double>(config.width) / static_cast<double>(width);
  if (config.keep_aspect_ratio) {
    // The scale closer to 1 wins (ties: the height's).
    if (std::fabs(1 - scale_w) < std::fabs(1 - scale_h)) scale_h = scale_w;
    else scale_w = scale_h;
  }
  return {constrain_to_multiple_of(scale_h * static_cast<double>(height), config.ensure_multiple_of),
          constrain_to_multiple_of(scale_w * static_cast<double>(width), config.ensure_multiple_of)};
}

ImageRGB8 pil_resize(const ImageRGB8& image, int width, int height, int resample) {
  if (image.empty() || image.pixels.size() != static_cast<std::size_t>(image.width) * image.height * 3)
    throw ConfigError("resize: expected an RGB picture with width*height*3 bytes, got " + std::to_string(image.pixels.size()) +
                      " bytes for " + std::to_string(image.width) + "x" + std::to_string(image.height));
  if (width <= 0 || height <= 0)
    throw ConfigError("resize: expected a positive target size, got " + std::to_string(width) + "x" + std::to_string(height));
  if (width == image.width && height == image.height) return image;
  const bool horizontal = width != image.width;
  const bool vertical = height != image.height;
  const Coefficients ch = precompute(image.width, width, resample);
  const Coefficients cv = precompute(image.height, height, resample);
  ImageRGB8 current = image;
  int row_offset = 0;
  if (horizontal) {
    // Only the rows the vertical pass reads.
    const int first = cv.first.front();
    const int last = cv.first.back() + cv.count.back();
    const int row0 = vertical ? first : 0;
    const int rows = vertical ? last - first : image.height;
    current = resample_horizontal(image, width, row0, rows, ch);
    row_offset = row0;
  }
  if (vertical) current = resample_vertical(current, height, cv, row_offset);
  return current;
}

std::vector<float> normalize_pixels(const ImageRGB8& resized, const ProcessorConfig& config) {
  const std::size_t plane = static_cast<std::size_t>(resized.width) * resized.height;
  std::vector<float> out(plane * 3);
  for (std::size_t i = 0; i < plane; ++i)
    for (std::size_t c = 0; c < 3; ++c) {
      float v = resized.pixels[i * 3 + c];
      if (config.do_rescale) v = static_cast<float>(static_cast<double>(resized.pixels[i * 3 + c]) * config.rescale_factor);
      if (config.do_normalize) v = (v - config.image_mean[c]) / config.image_std[c];
      out[c * plane + i] = v;
    }
  return out;
}

ProcessedImage preprocess(const ImageRGB8& image, const ProcessorConfig& config) {
  ProcessedImage out;
  if (config.do_resize) {
    const Size2 size = resize_output_size(image.height, image.width, config);
    if (size.height <= 0 || size.width <= 0)
      throw ConfigError("depth preprocessing: expected a positive processed size for a " + std::to_string(image.width) + "x" +
                        std::to_string(image.height) + " picture, got " + std::to_string(size.width) + "x" +
                        std::to_string(size.height));
    out.resized = pil_resize(image, static_cast<int>(size.width), static_cast<int>(size.height), config.resample);
  } else {
    out.resized = image;
  }
  out.pixels = normalize_pixels(out.resized, config);
  return out;
}

}  // namespace k3::depth
