// Follows sd-webui-deforum scripts/deforum_helpers/animation.py (warpMatrix,
// getPoints_for_PerspectiveTranformEstimation, get_flip_perspective_matrix), roundings included.
#include "animation/ops/perspective_flip.h"

#include <cmath>
#include <string>

#include <opencv2/imgproc.hpp>

#include "animation/ops/homography_warp.h"
#include "animation/ops/image_convert.h"
#include "base/errors.h"

namespace k3::ops {
namespace {

constexpr double kPi = 3.14159265358979323846;

cv::Matx44d rotation_xyz(double phi_rad, double gamma_rad, double theta_rad) {
  const double sp = std::sin(phi_rad), cp = std::cos(phi_rad);
  const double sg = std::sin(gamma_rad), cg = std::cos(gamma_rad);
  const double st = std::sin(theta_rad), ct = std::cos(theta_rad);
  const cv::Matx44d rx(1, 0, 0, 0, 0, cp, -sp, 0, 0, sp, cp, 0, 0, 0, 0, 1);
  const cv::Matx44d ry(cg, 0, sg, 0, 0, 1, 0, 0, -sg, 0, cg, 0, 0, 0, 0, 1);
  const cv::Matx44d rz(ct, -st, 0, 0, st, ct, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1);
  return rx * ry * rz;
}

// The homography taking four source points to four destination points, solved in double
// (cv::getPerspectiveTransform takes float points only, which costs the identity its exactness).
cv::Matx33d homography_from_points(const cv::Point2d (&src)[4], const cv::Point2d (&dst)[4]) {
  cv::Matx<double, 8, 8> a = cv::Matx<double, 8, 8>::zeros();
  cv::Matx<double, 8, 1> b;
  for (int i = 0; i < 4; ++i) {
    const double x = src[i].x, y = src[i].y, u = dst[i].x, v = dst[i].y;
    const double row_u[8] = {x, y, 1, 0, 0, 0, -x * u, -y * u};
    const double row_v[8] = {0, 0, 0, x, y, 1, -x * v, -y * v};
    for (int j = 0; j < 8; ++j) {
      a(i, j) = row_u[j];
      a(i + 4, j) = row_v[j];
    }
    b(i) = u;
    b(i + 4) = v;
  }
  cv::Matx<double, 8, 1> h;
  if (!cv::solve(a, b, h, cv::DECOMP_LU))
    throw ConfigError("perspective flip: expected a non-degenerate projection of the image corners, got a singular one");
  return cv::Matx33d(h(0), h(1), h(2), h(3), h(4), h(5), h(6), h(7), 1.0);
}

}  // namespace

cv::Matx33d perspective_flip_matrix(cv::Size size, const PerspectiveFlip& flip) {
  if (size.width <= 0 || size.height <= 0)
    throw ConfigError("perspective flip: expected a non-empty image size, got " + std::to_string(size.width) + "x" +
                      std::to_string(size.height));
  if (!(flip.fv > 0.0 && flip.fv < 180.0))
    throw ConfigError("perspective_flip_fv: expected degrees in (0, 180), got " + std::to_string(flip.fv));
  const double w = size.width, h = size.height;
  const double deg = kPi / 180.0;  // np.deg2rad(x) = x * (pi / 180)
  const double half = (flip.fv / 2.0) * deg;
  const double diagonal = std::sqrt(w * w + h * h);
  const double side = diagonal / std::cos(half);
  const double distance = diagonal / (2.0 * std::sin(half));
  const double near_plane = distance - diagonal / 2.0;
  const double far_plane = distance + diagonal / 2.0;

  cv::Matx44d translate = cv::Matx44d::eye();
  translate(2, 3) = -distance;
  cv::Matx44d projection = cv::Matx44d::eye();
  projection(0, 0) = projection(1, 1) = 1.0 / std::tan(half);
  projection(2, 2) = -(far_plane + near_plane) / (far_plane - near_plane);
  projection(2, 3) = -(2.0 * far_plane * near_plane) / (far_plane - near_plane);
  projection(3, 2) = -1.0;
  // An OpenGL projection has P[3][3] = 0. Deforum builds P from eye(4) and leaves it at 1,
  // which shrinks the picture by distance / (distance + 1) even at zero angles.
  projection(3, 3) = flip.deforum_arithmetic ? 1.0 : 0.0;
  const cv::Matx44d full = projection * translate * rotation_xyz(flip.phi * deg, flip.gamma * deg, flip.theta * deg);

  const cv::Point2d corners[4] = {{-w / 2, h / 2}, {w / 2, h / 2}, {w / 2, -h / 2}, {-w / 2, -h / 2}};
  cv::Point2d src[4], dst[4];
  for (int i = 0; i < 4; ++i) {
    const cv::Vec4d p = full * cv::Vec4d(corners[i].x, corners[i].y, 0.0, 1.0);
    const double inv_w = 1.0 / p[3];  // cv2.perspectiveTransform multiplies by the reciprocal
    dst[i] = {(p[0] * inv_w + 1.0) * (0.5 * side), (p[1] * inv_w + 1.0) * (0.5 * side)};
    src[i] = {corners[i].x + w / 2, corners[i].y + h / 2};
  }
  if (!flip.deforum_arithmetic) {
    const cv::Matx33d recentre(1, 0, (w - side) / 2.0, 0, 1, (h - side) / 2.0, 0, 0, 1);
    return homography_from_points(src, dst) * recentre;
  }
  // Deforum: pin/pout .astype(np.float32), cv2.getPerspectiveTransform on those points, and
  // post_trans_mat = np.float32([[1, 0, (W-sl)/2], [0, 1, (H-sl)/2]]) multiplied in float64.
  cv::Point2f src32[4], dst32[4];
  for (int i = 0; i < 4; ++i) {
    src32[i] = cv::Point2f(static_cast<float>(src[i].x), static_cast<float>(src[i].y));
    dst32[i] = cv::Point2f(static_cast<float>(dst[i].x), static_cast<float>(dst[i].y));
  }
  const cv::Matx33d m33 = cv::Mat(cv::getPerspectiveTransform(src32, dst32));
  const double shift_x = static_cast<float>((w - side) / 2.0);
  const double shift_y = static_cast<float>((h - side) / 2.0);
  const cv::Matx33d recentre(1, 0, shift_x, 0, 1, shift_y, 0, 0, 1);
  return m33 * recentre;
}

cv::Mat perspective_flip(const cv::Mat& image, const PerspectiveFlip& flip, const SamplingOptions& sampling) {
  require_warpable(image, "perspective_flip");
  return warp_by_homography(image, perspective_flip_matrix(image.size(), flip), sampling);
}

}  // namespace k3::ops
