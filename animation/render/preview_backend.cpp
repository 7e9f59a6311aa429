// The preview backend: Deforum's motion_preview_mode idea (A1111 render.py skips diffusion),
// but showing the real warped image instead of a rectangle.
#include "animation/render/frame_backend.h"

#include "animation/render/zoom_clip.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

namespace k3::anim {

namespace {

class PreviewBackend final : public FrameBackend {
 public:
  std::string name() const override { return "preview"; }
  cv::Mat first_frame(const cv::Mat& init, const DiffusionRequest& request, const StepProgress&) override {
    if (!init.empty()) return init.clone();
    return make_test_pattern(request.width, request.height);
  }
  cv::Mat next_frame(const cv::Mat& init, const DiffusionRequest&, const StepProgress&) override { return init.clone(); }
  cv::Mat outpaint(const cv::Mat& canvas, const cv::Mat& mask, const DiffusionRequest&, const StepProgress&) override {
    cv::Mat kept = mask == 0;
    return fill_ring_by_mirror(canvas, cv::boundingRect(kept));
  }
};

}  // namespace

std::unique_ptr<FrameBackend> make_preview_backend() { return std::make_unique<PreviewBackend>(); }

cv::Mat make_test_pattern(int width, int height) {
  cv::Mat u8(height, width, CV_8UC3);
  // A smooth two-axis colour gradient as the background.
  for (int y = 0; y < height; ++y) {
    auto* row = u8.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      double u = static_cast<double>(x) / std::max(1, width - 1), v = static_cast<double>(y) / std::max(1, height - 1);
      row[x] = cv::Vec3b(static_cast<uchar>(40 + 180 * u), static_cast<uchar>(60 + 140 * v),
                         static_cast<uchar>(200 - 120 * u * v));
    }
  }
  int s = std::min(width, height);
  int step = std::max(8, s / 8);
  for (int x = 0; x < width; x += step) cv::line(u8, {x, 0}, {x, height - 1}, cv::Scalar(255, 255, 255), 1, cv::LINE_8);
  for (int y = 0; y < height; y += step) cv::line(u8, {0, y}, {width - 1, y}, cv::Scalar(255, 255, 255), 1, cv::LINE_8);
  cv::Point c(width / 2, height / 2);
  cv::circle(u8, c, s / 4, cv::Scalar(230, 40, 40), -1, cv::LINE_AA);
  cv::rectangle(u8, {width / 8, height / 8}, {width / 8 + s / 6, height / 8 + s / 6}, cv::Scalar(30, 30, 160), -1, cv::LINE_AA);
  cv::circle(u8, {width - width / 5, height - height / 5}, s / 10, cv::Scalar(250, 220, 30), -1, cv::LINE_AA);
  // An arrow pointing up-right marks orientation (rotation and flips show at a glance).
  cv::arrowedLine(u8, c, {c.x + s / 5, c.y - s / 5}, cv::Scalar(255, 255, 255), std::max(1, s / 64), cv::LINE_AA, 0, 0.3);
  cv::Mat f32;
  u8.convertTo(f32, CV_32FC3);
  return f32;
}

}  // namespace k3::anim
