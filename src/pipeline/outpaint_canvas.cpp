// Outpainting's canvas and mask, and re-compositing of kept pixels (torch-free).
// Follows deforum-kandinsky's infinite zoom idea (spec deforum.md section 5): the new border is
// pre-filled from the picture's edges so the encoder sees plausible colours, then repainted.
#include "base/errors.h"
#include "src/public/generator.h"

#include <algorithm>
#include <string>

namespace k3 {

namespace {

// One horizontal then one vertical running-sum box blur of radius `r` (edges clamped).
void box_blur(std::vector<float>& plane, int width, int height, int r) {
  std::vector<float> line(static_cast<size_t>(std::max(width, height)));
  for (int pass = 0; pass < 2; ++pass) {
    const int outer = pass == 0 ? height : width, inner = pass == 0 ? width : height;
    for (int o = 0; o < outer; ++o) {
      auto at = [&](int i) -> float& {
        return pass == 0 ? plane[static_cast<size_t>(o) * width + i] : plane[static_cast<size_t>(i) * width + o];
      };
      for (int i = 0; i < inner; ++i) line[static_cast<size_t>(i)] = at(i);
      double sum = 0;
      for (int k = -r; k <= r; ++k) sum += line[static_cast<size_t>(std::clamp(k, 0, inner - 1))];
      for (int i = 0; i < inner; ++i) {
        at(i) = static_cast<float>(sum / (2 * r + 1));
        sum += line[static_cast<size_t>(std::clamp(i + r + 1, 0, inner - 1))] -
               line[static_cast<size_t>(std::clamp(i - r, 0, inner - 1))];
      }
    }
  }
}

}  // namespace

OutpaintCanvas make_outpaint_canvas(const ImageRGB8& image, int left, int top, int right, int bottom, int blur_radius) {
  if (image.empty() || image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
    throw ConfigError("outpaint: expected a non-empty RGB picture, got " + std::to_string(image.width) + "x" +
                      std::to_string(image.height));
  if (left < 0 || top < 0 || right < 0 || bottom < 0)
    throw ConfigError("outpaint: expected margins >= 0, got " + std::to_string(left) + "," + std::to_string(top) + "," +
                      std::to_string(right) + "," + std::to_string(bottom));
  if (blur_radius < 0) throw ConfigError("outpaint: expected a blur radius >= 0, got " + std::to_string(blur_radius));
  const int width = image.width + left + right, height = image.height + top + bottom;
  OutpaintCanvas canvas;
  canvas.image.width = canvas.mask.width = width;
  canvas.image.height = canvas.mask.height = height;
  canvas.image.pixels.resize(static_cast<size_t>(width) * height * 3);
  canvas.mask.pixels.assign(static_cast<size_t>(width) * height * 3, 255);
  std::vector<float> plane(static_cast<size_t>(width) * height);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < height; ++y) {
      const int sy = std::clamp(y - top, 0, image.height - 1);
      for (int x = 0; x < width; ++x) {
        const int sx = std::clamp(x - left, 0, image.width - 1);
        plane[static_cast<size_t>(y) * width + x] = image.pixels[(static_cast<size_t>(sy) * image.width + sx) * 3 + c];
      }
    }
    // Three box passes approximate a Gaussian: streaks of replicated edges become soft colour.
    if (blur_radius > 0)
      for (int pass = 0; pass < 3; ++pass) box_blur(plane, width, height, blur_radius);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        const bool inside = x >= left && x < left + image.width && y >= top && y < top + image.height;
        const size_t at = (static_cast<size_t>(y) * width + x) * 3 + c;
        canvas.image.pixels[at] =
            inside ? image.pixels[(static_cast<size_t>(y - top) * image.width + (x - left)) * 3 + c]
                   : static_cast<std::uint8_t>(std::clamp(plane[static_cast<size_t>(y) * width + x] + 0.5f, 0.0f, 255.0f));
        if (inside) canvas.mask.pixels[at] = 0;
      }
  }
  return canvas;
}

ImageRGB8 composite_kept_pixels(const ImageRGB8& painted, const ImageRGB8& original, const ImageRGB8& mask) {
  if (painted.width != original.width || painted.height != original.height || painted.width != mask.width ||
      painted.height != mask.height || painted.pixels.size() != original.pixels.size() ||
      painted.pixels.size() != mask.pixels.size())
    throw ConfigError("composite: expected painted, original and mask of one size, got " + std::to_string(painted.width) +
                      "x" + std::to_string(painted.height) + ", " + std::to_string(original.width) + "x" +
                      std::to_string(original.height) + ", " + std::to_string(mask.width) + "x" +
                      std::to_string(mask.height));
  ImageRGB8 out = painted;
  for (size_t p = 0; p < out.pixels.size(); p += 3) {
    const int mean2 = mask.pixels[p] + mask.pixels[p + 1] + mask.pixels[p + 2];
    if (2 * mean2 < 3 * 255)  // black (mean < 127.5) = kept
      for (int c = 0; c < 3; ++c) out.pixels[p + c] = original.pixels[p + c];
  }
  return out;
}

}  // namespace k3
