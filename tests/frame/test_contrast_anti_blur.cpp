#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/anti_blur.h"
#include "animation/ops/contrast.h"
#include "frame_test_images.h"
#include "base/errors.h"

using namespace k3::ops;

TEST_CASE("contrast is a clipped gain, without 8-bit wrap-around", "[unit]") {
  cv::Mat image(1, 2, CV_32FC3);
  image.at<cv::Vec3f>(0, 0) = {100.f, 200.f, 0.f};
  image.at<cv::Vec3f>(0, 1) = {10.f, 127.f, 255.f};
  const cv::Mat out = apply_contrast(image, 1.5);
  CHECK(out.at<cv::Vec3f>(0, 0) == cv::Vec3f(150.f, 255.f, 0.f));  // 300 clips to 255, not 44
  CHECK(out.at<cv::Vec3f>(0, 1) == cv::Vec3f(15.f, 190.5f, 255.f));
  CHECK(cv::norm(apply_contrast(image, 1.0), image, cv::NORM_INF) == 0.0);
  CHECK_THROWS_WITH(apply_contrast(image, -1.0), Catch::Contains("gain >= 0") && Catch::Contains("-1"));
}

TEST_CASE("anti-blur with amount 0 leaves the image unchanged", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(32, 32);
  AntiBlur settings;
  settings.amount = 0.0;
  CHECK(cv::norm(anti_blur(image, settings), image, cv::NORM_INF) == 0.0);
}

TEST_CASE("anti-blur is the unsharp mask formula", "[unit]") {
  const cv::Mat image = k3::test::random_test_image(40, 30, 3);
  AntiBlur settings;
  settings.kernel = 5;
  settings.sigma = 1.0;
  settings.amount = 0.7;
  cv::Mat blurred;
  cv::GaussianBlur(image, blurred, cv::Size(5, 5), 1.0, 1.0);
  cv::Mat expected = image * 1.7 - blurred * 0.7;
  cv::max(expected, 0.0, expected);
  cv::min(expected, 255.0, expected);
  const cv::Mat out = anti_blur(image, settings);
  const double error = cv::norm(out, expected, cv::NORM_INF);
  INFO("max error " << error);
  CHECK(error < 1e-3);
  // It sharpens: a blurred image's high frequencies grow back.
  cv::Mat lap_in, lap_out;
  cv::Laplacian(image, lap_in, CV_32F);
  cv::Laplacian(out, lap_out, CV_32F);
  CHECK(cv::norm(lap_out) > cv::norm(lap_in));
}

TEST_CASE("anti-blur threshold keeps low-contrast pixels", "[unit]") {
  cv::Mat image(20, 20, CV_32FC3, cv::Scalar::all(100));
  image(cv::Rect(10, 0, 10, 20)).setTo(cv::Scalar::all(180));  // one vertical edge
  image.at<cv::Vec3f>(3, 3) = cv::Vec3f::all(101.f);             // a faint speck
  AntiBlur settings;
  settings.amount = 1.0;
  settings.threshold = 5.0;
  const cv::Mat out = anti_blur(image, settings);
  CHECK(out.at<cv::Vec3f>(3, 3) == cv::Vec3f::all(101.f));  // |101 - blur| < 5: kept
  CHECK(out.at<cv::Vec3f>(5, 9)[0] < 100.f);                 // dark side of the edge darkens
  CHECK(out.at<cv::Vec3f>(5, 10)[0] > 180.f);                // bright side brightens
}

TEST_CASE("anti-blur rejects an even kernel", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(16, 16);
  AntiBlur settings;
  settings.kernel = 4;
  CHECK_THROWS_WITH(anti_blur(image, settings), Catch::Contains("odd") && Catch::Contains("got 4"));
}
