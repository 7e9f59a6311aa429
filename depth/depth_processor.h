#pragma once
// DPTImageProcessor as transformers 4.39.3 runs it: the output-size rule (keep aspect ratio,
// multiple of N, Python's round-half-to-even), PIL's 8-bit resampling (bilinear / bicubic with
// PIL's widened support when downscaling), rescale and normalise. No torch here.
#include "depth/depth_config.h"
#include "base/image.h"

#include <cstdint>
#include <vector>

namespace k3::depth {

struct Size2 {
  int64_t height = 0, width = 0;
};

// transformers' get_resize_output_image_size (image_processing_dpt.py) for a picture of
// `height` x `width`.
Size2 resize_output_size(int64_t height, int64_t width, const ProcessorConfig& config);

// PIL Image.resize((width, height), resample) of an 8-bit RGB picture (Pillow's Resample.c:
// separable, horizontal pass first, 22-bit fixed-point coefficients, 8-bit intermediate).
// `resample` is PIL's code: 2 bilinear, 3 bicubic. Same size returns a copy.
ImageRGB8 pil_resize(const ImageRGB8& image, int width, int height, int resample);

// pixel_values [3, h, w] (CHW, float32) of an 8-bit picture already at its processed size:
// x * rescale_factor in double, cast to float32, then (x - mean) / std in float32.
std::vector<float> normalize_pixels(const ImageRGB8& resized, const ProcessorConfig& config);

struct ProcessedImage {
  ImageRGB8 resized;          // the 8-bit picture after the resize step
  std::vector<float> pixels;  // [3, resized.height, resized.width]
};
// The whole processor on one picture. Throws ConfigError when the size rule gives a side of 0.
ProcessedImage preprocess(const ImageRGB8& image, const ProcessorConfig& config);

}  // namespace k3::depth
