// Image conversions at the edges of the float pipeline (no reference: project convention).
#include "animation/ops/image_convert.h"

#include <cstring>
#include <string>

#include "base/errors.h"

namespace k3::ops {
namespace {

std::string describe(const cv::Mat& image) {
  if (image.empty()) return "an empty image";
  return std::to_string(image.cols) + "x" + std::to_string(image.rows) + " " + cv::typeToString(image.type());
}

}  // namespace

void require_float_rgb(const cv::Mat& image, const char* what) {
  if (image.empty() || image.type() != CV_32FC3)
    throw ConfigError(std::string(what) + ": expected a non-empty CV_32FC3 image, got " + describe(image));
}

void require_warpable(const cv::Mat& image, const char* what) {
  if (image.empty() || (image.type() != CV_32FC3 && image.type() != CV_32FC2))
    throw ConfigError(std::string(what) + ": expected a non-empty CV_32FC3 frame or CV_32FC2 flow, got " + describe(image));
}

cv::Mat to_float_rgb(const cv::Mat& u8) {
  if (u8.empty() || u8.type() != CV_8UC3)
    throw ConfigError("to_float_rgb: expected a non-empty CV_8UC3 image, got " + describe(u8));
  cv::Mat f32;
  u8.convertTo(f32, CV_32FC3);
  return f32;
}

cv::Mat to_u8_rgb(const cv::Mat& f32) {
  require_float_rgb(f32, "to_u8_rgb");
  cv::Mat u8;
  f32.convertTo(u8, CV_8UC3);  // saturate_cast: rounds to nearest, clips to [0,255]
  return u8;
}

cv::Mat to_mat_u8(const ImageRGB8& image) {
  const std::size_t expected = static_cast<std::size_t>(image.width) * image.height * 3;
  if (image.empty() || image.pixels.size() != expected)
    throw ConfigError("to_mat_u8: expected " + std::to_string(expected) + " bytes for a " +
                      std::to_string(image.width) + "x" + std::to_string(image.height) + " RGB image, got " +
                      std::to_string(image.pixels.size()));
  cv::Mat mat(image.height, image.width, CV_8UC3);
  std::memcpy(mat.data, image.pixels.data(), expected);
  return mat;
}

cv::Mat to_float_rgb(const ImageRGB8& image) { return to_float_rgb(to_mat_u8(image)); }

ImageRGB8 to_image_rgb8(const cv::Mat& image) {
  cv::Mat u8;
  if (image.type() == CV_32FC3 && !image.empty()) {
    u8 = to_u8_rgb(image);
  } else if (image.type() == CV_8UC3 && !image.empty()) {
    u8 = image.isContinuous() ? image : image.clone();
  } else {
    throw ConfigError("to_image_rgb8: expected a CV_8UC3 or CV_32FC3 image, got " + describe(image));
  }
  ImageRGB8 out;
  out.width = u8.cols;
  out.height = u8.rows;
  out.pixels.assign(u8.data, u8.data + u8.total() * 3);
  return out;
}

}  // namespace k3::ops
