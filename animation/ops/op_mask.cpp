// Masks as weights (no reference: Deforum binarises its masks; a weight in [0,1] generalises that).
#include "animation/ops/op_mask.h"

#include <string>

#include "base/errors.h"

namespace k3::ops {

cv::Mat mask_to_weight(const cv::Mat& mask, cv::Size size, const char* what) {
  if (mask.empty()) return cv::Mat();
  if (mask.size() != size || (mask.type() != CV_32FC1 && mask.type() != CV_8UC1))
    throw ConfigError(std::string(what) + ": expected a CV_32FC1 or CV_8UC1 mask of " + std::to_string(size.width) +
                      "x" + std::to_string(size.height) + ", got " + std::to_string(mask.cols) + "x" +
                      std::to_string(mask.rows) + " " + cv::typeToString(mask.type()));
  if (mask.type() == CV_32FC1) return mask.isContinuous() ? mask : mask.clone();
  cv::Mat weight;
  mask.convertTo(weight, CV_32F, 1.0 / 255.0);
  return weight;
}

}  // namespace k3::ops
