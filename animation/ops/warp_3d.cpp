// Follows sd-webui-deforum scripts/deforum_helpers/animation.py (anim_frame_warp_3d, transform_image_3d)
// and py3d_tools (FoVPerspectiveCameras, euler_angles_to_matrix).
#include "animation/ops/warp_3d.h"

#include <cmath>
#include <string>

#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/image_convert.h"
#include "animation/ops/recycled_mat.h"
#include "animation/ops/remap_bilinear.h"
#include "animation/ops/row_loops.h"
#include "base/errors.h"

namespace k3::ops {
namespace {

constexpr double kPi = 3.14159265358979323846;

void validate(cv::Size size, const cv::Mat& depth, const Warp3D& warp) {
  if (size.width < 2 || size.height < 2)
    throw ConfigError("warp_3d: expected an image of at least 2x2, got " + std::to_string(size.width) + "x" +
                      std::to_string(size.height));
  if (!(warp.fov > 0.0 && warp.fov < 180.0))
    throw ConfigError("fov: expected degrees in (0, 180), got " + std::to_string(warp.fov));
  if (!(warp.aspect_ratio > 0.0) || !std::isfinite(warp.aspect_ratio))
    throw ConfigError("aspect_ratio: expected a positive number, got " + std::to_string(warp.aspect_ratio));
  if (!(warp.near > 0.0 && warp.far > warp.near) || !std::isfinite(warp.far))
    throw ConfigError("near/far: expected 0 < near < far, got near " + std::to_string(warp.near) + ", far " +
                      std::to_string(warp.far));
  if (!depth.empty() && (depth.type() != CV_32FC1 || depth.size() != size))
    throw ConfigError("depth: expected a CV_32FC1 map of " + std::to_string(size.width) + "x" +
                      std::to_string(size.height) + ", got " + std::to_string(depth.cols) + "x" +
                      std::to_string(depth.rows) + " " + cv::typeToString(depth.type()));
}

// R = Rx(x) * Ry(y) * Rz(z): pytorch3d euler_angles_to_matrix(angles, "XYZ").
cv::Matx33d rotation_xyz(double x, double y, double z) {
  const double sx = std::sin(x), cx = std::cos(x), sy = std::sin(y), cy = std::cos(y);
  const double sz = std::sin(z), cz = std::cos(z);
  const cv::Matx33d rx(1, 0, 0, 0, cx, -sx, 0, sx, cx);
  const cv::Matx33d ry(cy, 0, sy, 0, 1, 0, -sy, 0, cy);
  const cv::Matx33d rz(cz, -sz, 0, sz, cz, 0, 0, 0, 1);
  return rx * ry * rz;
}

// One row of the maps. World x, y: torch.linspace(-1, 1) over the pixels (first pixel -1, last
// +1). The sampling grid is affine_grid(align_corners=False) minus the NDC offset
// K * (x_view / z_view - x / z); back in pixels that is source = destination - offset * size / 2.
// The offset is computed over one division, (xv*z - x*zv) / (zv*z), in a branch-free loop that
// vectorises: the four divisions per pixel and the branch were most of the cost.
struct MapRow {
  cv::Matx33d r;
  double tx, ty, tz;
  double scale_x, scale_y;  // K00 * w / 2, K11 * h / 2
  int w, h;

  template <bool Flat>
  K3_ROW_LOOP void fill(int row, const float* z_row, float* mx, float* my) const {
    const double step_x = 2.0 / (w - 1), y = -1.0 + row * (2.0 / (h - 1));
    const double r00 = r(0, 0), r01 = r(0, 1), r02 = r(0, 2), r20 = r(2, 0), r21 = r(2, 1), r22 = r(2, 2);
    // The parts of x_view, y_view, z_view that depend on neither x nor z.
    const double bx = y * r(1, 0) + tx, by = y * r(1, 1) + ty, bz = y * r(1, 2) + tz;
    const float hidden_x = static_cast<float>(-w), hidden_y = static_cast<float>(-h);
    for (int col = 0; col < w; ++col) {
      const double x = -1.0 + col * step_x;
      const double z = Flat ? 1.0 : static_cast<double>(z_row[col]);
      const double xv = x * r00 + z * r20 + bx;
      const double yv = x * r01 + z * r21 + by;
      const double zv = x * r02 + z * r22 + bz;
      const double inverse = 1.0 / (zv * z);
      const float source_x = static_cast<float>(col - scale_x * (xv * z - x * zv) * inverse);
      const float source_y = static_cast<float>(row - scale_y * (yv * z - y * zv) * inverse);
      // Behind the camera (or an invalid depth): nothing to see there; read the border.
      const bool visible = (zv > 1e-9) & (z > 1e-9);
      mx[col] = visible ? source_x : hidden_x;
      my[col] = visible ? source_y : hidden_y;
    }
  }
};

// The maps' row filler for a warp, after its checks.
MapRow map_row_for(cv::Size size, const cv::Mat& depth, const Warp3D& warp) {
  validate(size, depth, warp);
  const double deg = kPi / 180.0;
  const cv::Matx33d r = rotation_xyz(warp.rotation_x * deg, warp.rotation_y * deg, warp.rotation_z * deg);
  // PyTorch3D's world-to-view transform takes row vectors: X_view = X * R + T.
  const double tx = -warp.translation_x * kDeforumTranslationScale;
  const double ty = warp.translation_y * kDeforumTranslationScale;
  const double tz = -warp.translation_z * kDeforumTranslationScale;
  const double tan_half = std::tan(warp.fov * deg / 2.0);
  const double k00 = 1.0 / (tan_half * warp.aspect_ratio);
  const double k11 = 1.0 / tan_half;
  return MapRow{r, tx, ty, tz, k00 * size.width / 2.0, k11 * size.height / 2.0, size.width, size.height};
}

// Rows [first, last) of the maps into map_x, map_y (last - first rows each).
void fill_maps(const MapRow& map_row, const cv::Mat& depth, int first, int last, cv::Mat& map_x, cv::Mat& map_y) {
  for (int row = first; row < last; ++row) {
    float* mx = map_x.ptr<float>(row - first);
    float* my = map_y.ptr<float>(row - first);
    if (depth.empty())
      map_row.fill<true>(row, nullptr, mx, my);
    else
      map_row.fill<false>(row, depth.ptr<float>(row), mx, my);
  }
}

}  // namespace

void warp_3d_maps(cv::Size size, const cv::Mat& depth, const Warp3D& warp, cv::Mat& map_x, cv::Mat& map_y) {
  const MapRow map_row = map_row_for(size, depth, warp);
  map_x.create(size, CV_32FC1);
  map_y.create(size, CV_32FC1);
  cv::parallel_for_(cv::Range(0, size.height), [&](const cv::Range& rows) {
    cv::Mat mx = map_x.rowRange(rows.start, rows.end), my = map_y.rowRange(rows.start, rows.end);
    fill_maps(map_row, depth, rows.start, rows.end, mx, my);
  });
}

cv::Mat warp_3d(const cv::Mat& image, const cv::Mat& depth, const Warp3D& warp, const SamplingOptions& sampling) {
  require_warpable(image, "warp_3d");
  const MapRow map_row = map_row_for(image.size(), depth, warp);
  // Maps and remap one block of rows at a time: the block's maps stay in cache (and are never
  // stored whole), and each block's output rows are written once.
  thread_local cv::Mat cache;
  cv::Mat out = recycled(cache, image.size(), image.type());
  const int interpolation = to_cv_interpolation(sampling.interpolation), border = to_cv_border(sampling.border);
  const bool clamp = interpolation_overshoots(sampling.interpolation);
  cv::parallel_for_(
      cv::Range(0, image.rows),
      [&](const cv::Range& rows) {
        cv::Mat map_x(rows.size(), image.cols, CV_32FC1), map_y(rows.size(), image.cols, CV_32FC1);
        fill_maps(map_row, depth, rows.start, rows.end, map_x, map_y);
        cv::Mat block = out.rowRange(rows.start, rows.end);
        if (interpolation == cv::INTER_LINEAR && image.type() == CV_32FC3)
          remap_bilinear_rgb(image, block, map_x, map_y, border);  // the same values, faster
        else
          cv::remap(image, block, map_x, map_y, interpolation, border, cv::Scalar::all(0));
        if (clamp) {
          cv::max(block, 0.0, block);
          cv::min(block, 255.0, block);
        }
      },
      row_block_stripes(image.rows));
  return out;
}

}  // namespace k3::ops
