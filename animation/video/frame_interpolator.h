#pragma once
// In-between frames by optical flow, to raise a clip's frame rate without rendering more
// frames (Deforum offers RIFE/FILM for this; we use OpenCV's DIS flow, which needs no model).
#include <opencv2/core.hpp>
#include <opencv2/video/tracking.hpp>

#include <vector>

namespace k3::video {

class FrameInterpolator {
 public:
  // factor 2 puts one frame between each pair, 3 puts two, ...
  explicit FrameInterpolator(int factor);

  int factor() const { return factor_; }
  // The factor-1 frames strictly between a and b (CV_8UC3, same size), at t = k/factor.
  // Each is (1-t)*a warped forward by t + t*b warped back by (1-t), along DIS flows a->b and b->a.
  std::vector<cv::Mat> between(const cv::Mat& a, const cv::Mat& b);

 private:
  int factor_;
  cv::Ptr<cv::DISOpticalFlow> flow_;
  cv::Mat gray_a_, gray_b_, flow_ab_, flow_ba_;
};

}  // namespace k3::video
