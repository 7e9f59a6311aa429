// Deforum's color_force_grayscale conversions (animation/ops/grayscale.h): OpenCV's and Pillow's.
#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/grayscale.h"
#include "animation/ops/image_convert.h"
#include "frame_test_images.h"

using namespace k3::ops;

TEST_CASE("grey frames: OpenCV's conversion and Pillow's, three equal channels", "[unit]") {
  const cv::Mat image = k3::test::random_test_image(37, 23, 4);
  const cv::Mat opencv = grey_as_opencv(image), pillow = grey_as_pillow(image);
  cv::Mat grey, want;
  cv::cvtColor(to_u8_rgb(image), grey, cv::COLOR_RGB2GRAY);
  cv::cvtColor(grey, want, cv::COLOR_GRAY2RGB);
  CHECK(cv::norm(opencv, to_float_rgb(want), cv::NORM_INF) == 0.0);
  for (const cv::Mat* m : {&opencv, &pillow}) {
    std::vector<cv::Mat> channels;
    cv::split(*m, channels);
    CHECK(cv::norm(channels[0], channels[1], cv::NORM_INF) == 0.0);
    CHECK(cv::norm(channels[0], channels[2], cv::NORM_INF) == 0.0);
  }
  // Pillow's convert("L") of pure red, green, blue and white: 76, 150, 29, 255.
  cv::Mat primaries(1, 4, CV_32FC3);
  primaries.at<cv::Vec3f>(0, 0) = {255, 0, 0};
  primaries.at<cv::Vec3f>(0, 1) = {0, 255, 0};
  primaries.at<cv::Vec3f>(0, 2) = {0, 0, 255};
  primaries.at<cv::Vec3f>(0, 3) = {255, 255, 255};
  const cv::Mat l = grey_as_pillow(primaries);
  CHECK(l.at<cv::Vec3f>(0, 0)[0] == 76.f);
  CHECK(l.at<cv::Vec3f>(0, 1)[0] == 150.f);
  CHECK(l.at<cv::Vec3f>(0, 2)[0] == 29.f);
  CHECK(l.at<cv::Vec3f>(0, 3)[0] == 255.f);
  CHECK(cv::norm(grey_as_opencv(opencv), opencv, cv::NORM_INF) == 0.0);  // grey stays grey
}
