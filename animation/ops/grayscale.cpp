// Follows sd-webui-deforum scripts/deforum_helpers/render.py (color_force_grayscale: cv2.cvtColor
// BGR2GRAY/GRAY2BGR on prev_img and the tweens, ImageOps.grayscale + colorize on the generated
// image) and Pillow's Convert.c (the L24 luma of convert("L")).
#include "animation/ops/grayscale.h"

#include <cstdint>

#include <opencv2/imgproc.hpp>

#include "animation/ops/image_convert.h"

namespace k3::ops {

cv::Mat grey_as_opencv(const cv::Mat& rgb) {
  const cv::Mat u8 = to_u8_rgb(rgb);
  cv::Mat grey, out;
  cv::cvtColor(u8, grey, cv::COLOR_RGB2GRAY);
  cv::cvtColor(grey, out, cv::COLOR_GRAY2RGB);
  return to_float_rgb(out);
}

cv::Mat grey_as_pillow(const cv::Mat& rgb) {
  cv::Mat u8 = to_u8_rgb(rgb);
  for (int r = 0; r < u8.rows; ++r) {
    std::uint8_t* p = u8.ptr<std::uint8_t>(r);
    for (int c = 0; c < u8.cols; ++c, p += 3) {
      const auto luma = static_cast<std::uint8_t>((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
      p[0] = p[1] = p[2] = luma;  // ImageOps.colorize(black, white): the identity ramp
    }
  }
  return to_float_rgb(u8);
}

}  // namespace k3::ops
