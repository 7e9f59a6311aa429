// Follows sd-webui-deforum scripts/deforum_helpers/animation.py (cv2.warpPerspective in anim_frame_warp_2d).
#include "animation/ops/homography_warp.h"

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/recycled_mat.h"
#include "animation/ops/remap_bilinear.h"
#include "animation/ops/row_loops.h"

namespace k3::ops {

cv::Mat warp_by_homography(const cv::Mat& image, const cv::Matx33d& m, const SamplingOptions& sampling) {
  thread_local cv::Mat cache;
  cv::Mat out = recycled(cache, image.size(), image.type());
  const int flags = to_cv_interpolation(sampling.interpolation);
  const int border = to_cv_border(sampling.border);
  if (m(2, 0) == 0.0 && m(2, 1) == 0.0 && m(2, 2) == 1.0) {
    const cv::Matx23d affine(m(0, 0), m(0, 1), m(0, 2), m(1, 0), m(1, 1), m(1, 2));
    if (flags == cv::INTER_LINEAR && image.type() == CV_32FC3) {
      // cv::warpAffine's values, with its float bilinear loop vectorised (remap_bilinear.h).
      const cv::Matx23d inverse = inverse_affine(affine);
      cv::parallel_for_(
          cv::Range(0, out.rows),
          [&](const cv::Range& rows) {
            cv::Mat block = out.rowRange(rows.start, rows.end);
            warp_affine_bilinear_rgb(image, block, inverse, rows.start, border);
          },
          row_block_stripes(out.rows));
      return out;  // bilinear does not overshoot
    }
    cv::warpAffine(image, out, affine, image.size(), flags, border, cv::Scalar::all(0));
  } else {
    cv::warpPerspective(image, out, m, image.size(), flags, border, cv::Scalar::all(0));
  }
  if (interpolation_overshoots(sampling.interpolation)) {
    cv::max(out, 0.0, out);
    cv::min(out, 255.0, out);
  }
  return out;
}

}  // namespace k3::ops
