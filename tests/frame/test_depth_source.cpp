#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include "animation/ops/depth_source.h"
#include "src/errors.h"
#include "tests/support/test_support.h"

using namespace k3::ops;

namespace {
cv::Mat ramp16(int width, int height) {
  cv::Mat m(height, width, CV_16UC1);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) m.at<std::uint16_t>(r, c) = static_cast<std::uint16_t>(1000 + 1000 * c);
  return m;
}
}  // namespace

TEST_CASE("flat depth source gives an empty map (z = 1)", "[unit]") {
  FlatDepth flat;
  CHECK(flat.depth_for(cv::Mat::zeros(4, 4, CV_32FC3), 3).empty());
}

TEST_CASE("depth_to_world_z normalises and applies the model's convention", "[unit]") {
  cv::Mat raw = (cv::Mat_<float>(1, 3) << 10.f, 20.f, 30.f);
  const cv::Mat near_bright = depth_to_world_z(raw, DepthImageConvention::BrightIsNear, false);
  REQUIRE(near_bright.type() == CV_32FC1);
  CHECK(near_bright.at<float>(0, 0) == Approx(2.0));
  CHECK(near_bright.at<float>(0, 1) == Approx(1.5));
  CHECK(near_bright.at<float>(0, 2) == Approx(1.0));
  const cv::Mat far_bright = depth_to_world_z(raw, DepthImageConvention::BrightIsFar, false);
  CHECK(far_bright.at<float>(0, 0) == Approx(1.0));
  CHECK(far_bright.at<float>(0, 2) == Approx(2.0));
  // Equalised: each value becomes the CDF of its bin (1/3, 2/3, 1).
  const cv::Mat equalised = depth_to_world_z(raw, DepthImageConvention::BrightIsFar, true);
  CHECK(equalised.at<float>(0, 0) == Approx(1.0 + 1.0 / 3.0));
  CHECK(equalised.at<float>(0, 2) == Approx(2.0));
  // Constant or non-finite maps fall back to flat, as in Deforum.
  CHECK(depth_to_world_z(cv::Mat(2, 2, CV_32FC1, cv::Scalar(5.f)), DepthImageConvention::BrightIsFar, true).empty());
  raw.at<float>(0, 1) = std::numeric_limits<float>::quiet_NaN();
  CHECK(depth_to_world_z(raw, DepthImageConvention::BrightIsFar, true).empty());
}

TEST_CASE("depth images are read per frame, resized to the frame and mapped to z", "[unit]") {
  k3::test::TempDir dir("depth_files");
  REQUIRE(cv::imwrite(dir / "depth_00007.png", ramp16(5, 2)));
  DepthImageOptions options;
  options.path_pattern = dir / "depth_%05d.png";
  options.convention = DepthImageConvention::BrightIsNear;
  options.equalize = false;
  DepthImageFiles files(options);
  CHECK(files.path_for(7) == dir / "depth_00007.png");
  const cv::Mat z = files.depth_for(cv::Mat::zeros(2, 5, CV_32FC3), 7);
  REQUIRE(z.size() == cv::Size(5, 2));
  CHECK(z.at<float>(1, 0) == Approx(2.0));   // darkest = farthest
  CHECK(z.at<float>(1, 4) == Approx(1.0));   // brightest = nearest
  CHECK(z.at<float>(0, 2) == Approx(1.5));
  const cv::Mat resized = files.depth_for(cv::Mat::zeros(4, 10, CV_32FC3), 7);
  CHECK(resized.size() == cv::Size(10, 4));
  CHECK_THROWS_AS(files.depth_for(cv::Mat::zeros(2, 5, CV_32FC3), 8), k3::FileError);
  CHECK_THROWS_WITH(files.depth_for(cv::Mat::zeros(2, 5, CV_32FC3), 8),
                    Catch::Contains("frame 8") && Catch::Contains("depth_00008.png"));
}
