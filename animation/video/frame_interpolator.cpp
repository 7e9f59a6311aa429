// Flow-based in-betweens (Deforum's RIFE/FILM step, scripts/deforum_helpers/frame_interpolation.py,
// done here with OpenCV's DIS optical flow instead of a network).
#include "animation/video/frame_interpolator.h"

#include "animation/video/writers.h"
#include "base/errors.h"

#include <opencv2/imgproc.hpp>

namespace k3::video {

FrameInterpolator::FrameInterpolator(int factor)
    : factor_(factor), flow_(cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM)) {
  if (factor < 1) throw k3::ConfigError("interpolate: expected a factor >= 1, got " + std::to_string(factor));
}

namespace {
// Backward warp: out(x) = image(x - t * flow(x)). The flow at x stands in for the flow at the
// source point, which holds where the motion is smooth.
cv::Mat warp_back(const cv::Mat& image, const cv::Mat& flow, float t) {
  cv::Mat map(flow.size(), CV_32FC2);
  for (int y = 0; y < flow.rows; ++y) {
    const auto* f = flow.ptr<cv::Point2f>(y);
    auto* m = map.ptr<cv::Point2f>(y);
    for (int x = 0; x < flow.cols; ++x) m[x] = cv::Point2f(x - t * f[x].x, y - t * f[x].y);
  }
  cv::Mat out;
  cv::remap(image, out, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  return out;
}
}  // namespace

std::vector<cv::Mat> FrameInterpolator::between(const cv::Mat& a, const cv::Mat& b) {
  check_frame(a, 0, 0, 0, "interpolation");
  check_frame(b, 1, a.cols, a.rows, "interpolation");
  std::vector<cv::Mat> frames;
  if (factor_ < 2) return frames;
  cv::cvtColor(a, gray_a_, cv::COLOR_RGB2GRAY);
  cv::cvtColor(b, gray_b_, cv::COLOR_RGB2GRAY);
  flow_->calc(gray_a_, gray_b_, flow_ab_);  // a(x) ~ b(x + flow_ab(x))
  flow_->calc(gray_b_, gray_a_, flow_ba_);  // b(x) ~ a(x + flow_ba(x))
  for (int k = 1; k < factor_; ++k) {
    const float t = static_cast<float>(k) / factor_;
    // A point of a at p sits at p + t*flow_ab(p) at time t; a point of b at q was at
    // q + (1-t)*flow_ba(q).
    const cv::Mat from_a = warp_back(a, flow_ab_, t);
    const cv::Mat from_b = warp_back(b, flow_ba_, 1.0f - t);
    cv::Mat blended;
    cv::addWeighted(from_a, 1.0 - t, from_b, t, 0.0, blended);
    frames.push_back(blended);
  }
  return frames;
}

namespace {
// Emits frame i, then the in-betweens towards frame i+1 once that arrives. After the last frame
// the last frame is repeated factor-1 times, so N frames become N*factor and the clip keeps its
// duration (and stays in sync with a soundtrack).
class InterpolatingWriter final : public VideoWriter {
 public:
  InterpolatingWriter(std::unique_ptr<VideoWriter> inner, int factor) : inner_(std::move(inner)), interpolator_(factor) {}
  void write(const cv::Mat& rgb8) override {
    check_frame(rgb8, frames_, previous_.cols, previous_.rows, "interpolation");
    if (!previous_.empty())
      for (const cv::Mat& frame : interpolator_.between(previous_, rgb8)) inner_->write(frame);
    inner_->write(rgb8);
    rgb8.copyTo(previous_);
    ++frames_;
  }
  void finish() override {
    if (!previous_.empty())
      for (int k = 1; k < interpolator_.factor(); ++k) inner_->write(previous_);
    previous_.release();
    inner_->finish();
  }
  long frames_written() const override { return frames_; }

 private:
  std::unique_ptr<VideoWriter> inner_;
  FrameInterpolator interpolator_;
  cv::Mat previous_;
  long frames_ = 0;
};
}  // namespace

std::unique_ptr<VideoWriter> make_interpolating_writer(std::unique_ptr<VideoWriter> inner, int factor) {
  return std::make_unique<InterpolatingWriter>(std::move(inner), factor);
}

}  // namespace k3::video
