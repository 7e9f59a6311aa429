// Follows sd-webui-deforum scripts/deforum_helpers/animation.py (anim_frame_warp_2d).
#include "animation/ops/warp_2d.h"

#include <cmath>
#include <string>

#include "animation/ops/homography_warp.h"
#include "animation/ops/image_convert.h"
#include "base/errors.h"

namespace k3::ops {

cv::Matx33d warp_2d_matrix(cv::Size size, const Warp2D& warp) {
  if (!(warp.zoom > 0.0) || !std::isfinite(warp.zoom))
    throw ConfigError("zoom: expected a positive scale, got " + std::to_string(warp.zoom));
  const double cx = size.width * warp.center_x;
  const double cy = size.height * warp.center_y;
  const double radians = warp.angle * 3.14159265358979323846 / 180.0;
  const double a = warp.zoom * std::cos(radians);
  const double b = warp.zoom * std::sin(radians);
  // cv2.getRotationMatrix2D(center, angle, scale), in homogeneous form.
  const cv::Matx33d rotate(a, b, (1 - a) * cx - b * cy,  //
                           -b, a, b * cx + (1 - a) * cy,  //
                           0, 0, 1);
  const cv::Matx33d translate(1, 0, warp.translation_x, 0, 1, warp.translation_y, 0, 0, 1);
  if (!warp.perspective_flip) return rotate * translate;
  const cv::Matx33d flip = perspective_flip_matrix(size, *warp.perspective_flip);
  return warp.drop_translation_with_flip ? flip * rotate : flip * rotate * translate;
}

cv::Mat warp_2d(const cv::Mat& image, const Warp2D& warp, const SamplingOptions& sampling) {
  require_warpable(image, "warp_2d");
  return warp_by_homography(image, warp_2d_matrix(image.size(), warp), sampling);
}

}  // namespace k3::ops
