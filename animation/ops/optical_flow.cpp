// Follows sd-webui-deforum scripts/deforum_helpers/hybrid_video.py (get_flow_from_images_DIS,
// get_flow_from_images_Farneback, image_transform_optical_flow, remap, extend_flow,
// abs_flow_to_rel_flow, rel_flow_to_abs_flow).
#include "animation/ops/optical_flow.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "animation/ops/image_convert.h"
#include "base/errors.h"

namespace k3::ops {
namespace {

cv::Mat grey_of(const cv::Mat& rgb, const char* what) {
  if (rgb.empty() || (rgb.type() != CV_8UC3 && rgb.type() != CV_32FC3))
    throw ConfigError(std::string(what) + ": expected a CV_8UC3 or CV_32FC3 RGB frame, got type " +
                      std::to_string(rgb.type()) + " size " + std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows));
  const cv::Mat u8 = rgb.depth() == CV_8U ? rgb : to_u8_rgb(rgb);  // Deforum's frames are uint8
  cv::Mat grey;
  cv::cvtColor(u8, grey, cv::COLOR_RGB2GRAY);
  return grey;
}

// "DIS Medium": OpenCV's medium preset. "DIS Fine": Deforum creates the default (fast) preset
// and sets 192 descent iterations, the finest scale 0, patch size 8, stride 4.
cv::Ptr<cv::DISOpticalFlow> dis_for(FlowMethod method) {
  if (method == FlowMethod::DisMedium) return cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
  cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_FAST);
  dis->setGradientDescentIterations(192);
  dis->setFinestScale(0);
  dis->setPatchSize(8);
  dis->setPatchStride(4);
  return dis;
}

double largest_component(const cv::Mat& flow) {
  double low = 0, high = 0;
  cv::minMaxLoc(flow.reshape(1), &low, &high);
  return std::max(std::abs(low), std::abs(high));
}

void require_flow(const cv::Mat& flow, const char* what) {
  if (flow.empty() || flow.type() != CV_32FC2)
    throw ConfigError(std::string(what) + ": expected a CV_32FC2 flow, got type " + std::to_string(flow.type()));
}

}  // namespace

cv::Mat flow_between(const cv::Mat& from, const cv::Mat& to, FlowMethod method) {
  const cv::Mat a = grey_of(from, "optical flow"), b = grey_of(to, "optical flow");
  if (a.size() != b.size())
    throw ConfigError("optical flow: expected two frames of one size, got " + std::to_string(a.cols) + "x" +
                      std::to_string(a.rows) + " and " + std::to_string(b.cols) + "x" + std::to_string(b.rows));
  cv::Mat flow;
  if (method == FlowMethod::Farneback)  // Deforum's "normal" preset, no initial flow
    cv::calcOpticalFlowFarneback(a, b, flow, 0.5, 5, 21, 5, 7, 1.2, 0);
  else
    dis_for(method)->calc(a, b, flow);
  return flow;
}

cv::Mat move_along_flow(const cv::Mat& image, const cv::Mat& flow, double factor) {
  require_flow(flow, "move_along_flow");
  if (image.empty() || flow.size() != image.size())
    throw ConfigError("move_along_flow: expected an image of the flow's size " + std::to_string(flow.cols) + "x" +
                      std::to_string(flow.rows) + ", got " + std::to_string(image.cols) + "x" + std::to_string(image.rows));
  const int pad_y = image.rows / 4, pad_x = image.cols / 4;  // int(h * 0.25), int(w * 0.25)
  cv::Mat padded;
  cv::copyMakeBorder(image, padded, pad_y, pad_y, pad_x, pad_x, cv::BORDER_REFLECT_101);
  // extend_flow: the identity map of the padded image, the moved positions in its middle.
  cv::Mat map(padded.size(), CV_32FC2);
  const float f = static_cast<float>(factor);
  for (int y = 0; y < map.rows; ++y) {
    cv::Point2f* m = map.ptr<cv::Point2f>(y);
    const bool inside_y = y >= pad_y && y < pad_y + flow.rows;
    const cv::Point2f* d = inside_y ? flow.ptr<cv::Point2f>(y - pad_y) : nullptr;
    for (int x = 0; x < map.cols; ++x) {
      m[x] = cv::Point2f(static_cast<float>(x), static_cast<float>(y));
      if (inside_y && x >= pad_x && x < pad_x + flow.cols) m[x] -= f * d[x - pad_x];
    }
  }
  cv::Mat moved;
  cv::remap(padded, moved, map, cv::noArray(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  return moved(cv::Rect(pad_x, pad_y, image.cols, image.rows)).clone();
}

cv::Mat flow_to_relative(const cv::Mat& flow) {
  require_flow(flow, "flow_to_relative");
  const double largest = largest_component(flow);
  if (largest == 0) return flow.clone();
  std::vector<cv::Mat> xy;
  cv::split(flow, xy);
  xy[0] /= largest * flow.cols;
  xy[1] /= largest * flow.rows;
  cv::Mat relative;
  cv::merge(xy, relative);
  return relative;
}

cv::Mat flow_to_absolute(const cv::Mat& relative) {
  require_flow(relative, "flow_to_absolute");
  std::vector<cv::Mat> xy;
  cv::split(relative, xy);
  double low = 0, high = 0, largest = 0;
  cv::minMaxLoc(xy[0], &low, &high);
  largest = std::max(std::abs(low), std::abs(high)) * relative.cols;
  cv::minMaxLoc(xy[1], &low, &high);
  largest = std::max(largest, std::max(std::abs(low), std::abs(high)) * relative.rows);
  xy[0] *= largest * relative.cols;
  xy[1] *= largest * relative.rows;
  cv::Mat flow;
  cv::merge(xy, flow);
  return flow;
}

}  // namespace k3::ops
