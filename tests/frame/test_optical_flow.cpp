// Deforum's optical-flow cadence helpers (animation/ops/optical_flow.h): the flow of a known
// shift, a move along a constant flow, and Deforum's relative/absolute conversions.
#include <cmath>

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/optical_flow.h"
#include "base/errors.h"
#include "frame_test_images.h"

using namespace k3::ops;

namespace {
// Textured content (smooth pattern plus blurred noise) that optical flow can lock on to.
cv::Mat textured(int width, int height) {
  cv::Mat noise = k3::test::random_test_image(width, height, 9);
  cv::GaussianBlur(noise, noise, cv::Size(0, 0), 1.5);
  return k3::test::smooth_test_image(width, height) * 0.5 + noise * 0.5;
}

cv::Mat shifted(const cv::Mat& image, double dx, double dy) {
  cv::Mat out;
  cv::warpAffine(image, out, cv::Matx23d(1, 0, dx, 0, 1, dy), image.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT_101);
  return out;
}
}  // namespace

TEST_CASE("the flow between a frame and its shifted copy is the shift, with each of Deforum's methods", "[unit]") {
  const cv::Mat a = textured(128, 96);
  const cv::Mat b = shifted(a, 3.0, -2.0);  // b(x) = a(x - (3, -2)): a's content moves by (3, -2)
  for (const FlowMethod method : {FlowMethod::DisMedium, FlowMethod::DisFine, FlowMethod::Farneback}) {
    const cv::Mat flow = flow_between(a, b, method);
    REQUIRE(flow.type() == CV_32FC2);
    REQUIRE(flow.size() == a.size());
    const cv::Scalar mean = cv::mean(flow(cv::Rect(16, 16, 96, 64)));  // away from the borders
    INFO("method " << static_cast<int>(method) << ": mean flow " << mean[0] << ", " << mean[1]);
    CHECK(std::abs(mean[0] - 3.0) < 0.3);
    CHECK(std::abs(mean[1] + 2.0) < 0.3);
  }
  CHECK_THROWS_AS(flow_between(a, textured(64, 64), FlowMethod::DisMedium), k3::ConfigError);
  CHECK_THROWS_AS(flow_between(cv::Mat(8, 8, CV_32FC1), a, FlowMethod::DisMedium), k3::ConfigError);
}

TEST_CASE("moving along a constant flow is a translation, borders reflected", "[unit]") {
  const cv::Mat image = textured(64, 48);
  const cv::Mat flow(image.size(), CV_32FC2, cv::Scalar(2.0, -1.0));
  // out(x) = image(x - factor * flow): factor 1 moves the content by (2, -1), factor -0.5 by (-1, 0.5).
  CHECK(cv::norm(move_along_flow(image, flow, 1.0), shifted(image, 2.0, -1.0), cv::NORM_INF) < 1e-3);
  CHECK(cv::norm(move_along_flow(image, flow, -0.5), shifted(image, -1.0, 0.5), cv::NORM_INF) < 1e-3);
  CHECK(cv::norm(move_along_flow(image, cv::Mat::zeros(image.size(), CV_32FC2), 1.0), image, cv::NORM_INF) == 0.0);
  CHECK_THROWS_AS(move_along_flow(image, cv::Mat::zeros(8, 8, CV_32FC2), 1.0), k3::ConfigError);
}

TEST_CASE("Deforum's relative and absolute flows: the round trip gives the flow at a largest component of 1", "[unit]") {
  cv::Mat flow(10, 20, CV_32FC2, cv::Scalar(1.0, 0.5));
  flow.at<cv::Vec2f>(3, 4) = cv::Vec2f(-4.0f, 2.0f);  // the largest component, 4
  const cv::Mat relative = flow_to_relative(flow);
  CHECK(relative.at<cv::Vec2f>(0, 0)[0] == Approx(1.0 / (4 * 20)));  // x over (largest * width)
  CHECK(relative.at<cv::Vec2f>(0, 0)[1] == Approx(0.5 / (4 * 10)));  // y over (largest * height)
  const cv::Mat back = flow_to_absolute(relative);
  CHECK(cv::norm(back, flow / 4.0, cv::NORM_INF) < 1e-6);
  const cv::Mat zero = cv::Mat::zeros(10, 20, CV_32FC2);
  CHECK(cv::norm(flow_to_absolute(flow_to_relative(zero)), cv::NORM_INF) == 0.0);
}
