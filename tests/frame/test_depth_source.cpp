#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include "animation/ops/depth_source.h"
#include "base/errors.h"
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

TEST_CASE("Deforum's equalisation: np.interp over left bin edges lags one bin (spec depth.md 6.2)", "[unit]") {
  // Raw [0, 0.5, 1, 1024]: normalised [0, 0.5/1024, 1/1024, 1], bins 0, 0, 1, 1023, so
  // cdf[0] = 0.5, cdf[1..1022] = 0.75, cdf[1023] = 1. The minimum maps to cdf[0] = 0.5 (not 0);
  // 0.5/1024 lies halfway between the edges of bin 0 and 1: 0.5 + 0.5 * (0.75 - 0.5) = 0.625;
  // 1/1024 sits on bin 1's left edge: 0.75; the maximum maps to 1.
  const cv::Mat raw = (cv::Mat_<float>(1, 4) << 0.f, 0.5f, 1.f, 1024.f);
  const cv::Mat disparity = depth_to_world_z(raw, DepthImageConvention::BrightIsNear, true);
  const float want_disparity[] = {1.5f, 1.375f, 1.25f, 1.0f};  // z = 2 - e (MiDaS, Depth Anything)
  const cv::Mat metric = depth_to_world_z(raw, DepthImageConvention::BrightIsFar, true);
  const float want_metric[] = {1.5f, 1.625f, 1.75f, 2.0f};  // z = 1 + e (Zoe, AdaBins, LeReS)
  for (int i = 0; i < 4; ++i) {
    INFO("value " << i);
    CHECK(disparity.at<float>(0, i) == Approx(want_disparity[i]).epsilon(1e-6));
    CHECK(metric.at<float>(0, i) == Approx(want_metric[i]).epsilon(1e-6));
  }
  // Values in the last bin (>= 1023/1024 after normalisation) all map to 1: z = 1 for disparity.
  const cv::Mat top = (cv::Mat_<float>(1, 3) << 0.f, 1023.5f, 1024.f);
  const cv::Mat z = depth_to_world_z(top, DepthImageConvention::BrightIsNear, true);
  CHECK(z.at<float>(0, 1) == 1.0f);
  CHECK(z.at<float>(0, 2) == 1.0f);
  // The z ranges: disparity in [2 - 1, 2 - cdf[0]], metric in [1 + cdf[0], 2].
  double lo = 0, hi = 0;
  cv::minMaxLoc(disparity, &lo, &hi);
  CHECK(lo == Approx(1.0));
  CHECK(hi == Approx(1.5));
}

TEST_CASE("depth images from a folder: the n-th file (by name) for frame n", "[unit]") {
  k3::test::TempDir dir("depth_folder");
  REQUIRE(cv::imwrite(dir / "b.png", ramp16(5, 2)));
  cv::Mat flipped;
  cv::flip(ramp16(5, 2), flipped, 1);
  REQUIRE(cv::imwrite(dir / "a.png", flipped));
  DepthImageOptions options;
  options.path_pattern = dir.path;
  options.equalize = false;
  DepthImageFiles files(options);
  CHECK(files.path_for(0) == dir / "a.png");
  CHECK(files.path_for(1) == dir / "b.png");
  CHECK(files.depth_for(cv::Mat::zeros(2, 5, CV_32FC3), 1).at<float>(0, 4) == Approx(1.0));
  CHECK(files.last_raw().size() == cv::Size(5, 2));
  CHECK_THROWS_WITH(files.depth_for(cv::Mat::zeros(2, 5, CV_32FC3), 2), Catch::Contains("frame 2") && Catch::Contains("at least 3 images") && Catch::Contains("got 2"));
}
