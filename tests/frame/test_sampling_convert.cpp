#include <catch2/catch.hpp>

#include <opencv2/imgproc.hpp>

#include "animation/ops/image_convert.h"
#include "animation/ops/remap_bilinear.h"
#include "frame_test_images.h"
#include "animation/ops/sampling.h"
#include "base/errors.h"

using namespace k3::ops;

TEST_CASE("sampling names parse, including Deforum's 3D aliases", "[unit]") {
  CHECK(parse_border_mode("replicate") == BorderMode::Replicate);
  CHECK(parse_border_mode("border") == BorderMode::Replicate);
  CHECK(parse_border_mode("wrap") == BorderMode::Wrap);
  CHECK(parse_border_mode("reflect") == BorderMode::Reflect);
  CHECK(parse_border_mode("reflection") == BorderMode::Reflect);
  CHECK(parse_border_mode("zeros") == BorderMode::Zeros);
  CHECK(parse_interpolation("nearest") == Interpolation::Nearest);
  CHECK(parse_interpolation("bilinear") == Interpolation::Bilinear);
  CHECK(parse_interpolation("bicubic") == Interpolation::Bicubic);
  CHECK(parse_interpolation("lanczos") == Interpolation::Lanczos);
  for (auto mode : {BorderMode::Replicate, BorderMode::Wrap, BorderMode::Reflect, BorderMode::Zeros})
    CHECK(parse_border_mode(to_string(mode)) == mode);
  for (auto i : {Interpolation::Nearest, Interpolation::Bilinear, Interpolation::Bicubic, Interpolation::Lanczos})
    CHECK(parse_interpolation(to_string(i)) == i);
}

TEST_CASE("bad sampling names throw ConfigError naming the choices and the value", "[unit]") {
  CHECK_THROWS_AS(parse_border_mode("mirror"), k3::ConfigError);
  CHECK_THROWS_WITH(parse_border_mode("mirror"), Catch::Contains("expected one of") && Catch::Contains("mirror"));
  CHECK_THROWS_WITH(parse_interpolation("cubic"), Catch::Contains("expected one of") && Catch::Contains("cubic"));
}

TEST_CASE("8-bit <-> float conversion rounds and clips", "[unit]") {
  cv::Mat f(1, 4, CV_32FC3);
  f.at<cv::Vec3f>(0, 0) = {-5.f, 0.4f, 0.6f};
  f.at<cv::Vec3f>(0, 1) = {254.6f, 255.f, 300.f};
  f.at<cv::Vec3f>(0, 2) = {10.2f, 10.7f, 128.f};
  f.at<cv::Vec3f>(0, 3) = {1.f, 2.f, 3.f};
  const cv::Mat u8 = to_u8_rgb(f);
  REQUIRE(u8.type() == CV_8UC3);
  CHECK(u8.at<cv::Vec3b>(0, 0) == cv::Vec3b(0, 0, 1));
  CHECK(u8.at<cv::Vec3b>(0, 1) == cv::Vec3b(255, 255, 255));
  CHECK(u8.at<cv::Vec3b>(0, 2) == cv::Vec3b(10, 11, 128));
  const cv::Mat back = to_float_rgb(u8);
  REQUIRE(back.type() == CV_32FC3);
  CHECK(back.at<cv::Vec3f>(0, 3) == cv::Vec3f(1.f, 2.f, 3.f));
  CHECK_THROWS_AS(to_float_rgb(f), k3::ConfigError);
  CHECK_THROWS_AS(to_u8_rgb(u8), k3::ConfigError);
}

TEST_CASE("ImageRGB8 round-trips through OpenCV without a channel swap", "[unit]") {
  k3::ImageRGB8 image;
  image.width = 2;
  image.height = 1;
  image.pixels = {255, 0, 0, 0, 10, 200};
  const cv::Mat f = to_float_rgb(image);
  CHECK(f.at<cv::Vec3f>(0, 0) == cv::Vec3f(255.f, 0.f, 0.f));
  CHECK(f.at<cv::Vec3f>(0, 1) == cv::Vec3f(0.f, 10.f, 200.f));
  const k3::ImageRGB8 back = to_image_rgb8(f);
  CHECK(back.width == 2);
  CHECK(back.height == 1);
  CHECK(back.pixels == image.pixels);
  CHECK(to_image_rgb8(to_mat_u8(image)).pixels == image.pixels);
  image.pixels.pop_back();
  CHECK_THROWS_WITH(to_mat_u8(image), Catch::Contains("expected 6 bytes"));
}

TEST_CASE("remap_bilinear_rgb equals cv::remap bilinear, value for value, with every border", "[unit]") {
  const cv::Mat image = k3::test::random_test_image(37, 29, 9);
  cv::Mat mx(23, 41, CV_32FC1), my(23, 41, CV_32FC1);
  cv::RNG rng(3);
  // Positions inside, on the last row and column, just outside and far outside the image.
  rng.fill(mx, cv::RNG::UNIFORM, -3.0, 40.0);
  rng.fill(my, cv::RNG::UNIFORM, -3.0, 32.0);
  mx.at<float>(0, 0) = 35.5f;  // the last pixel pair of a row
  my.at<float>(0, 0) = 27.25f;
  mx.at<float>(0, 1) = -1000.f;
  mx.at<float>(1, 0) = 36.0f;  // exactly the last column
  for (int border : {cv::BORDER_REPLICATE, cv::BORDER_REFLECT, cv::BORDER_WRAP, cv::BORDER_CONSTANT}) {
    cv::Mat want, got;
    cv::remap(image, want, mx, my, cv::INTER_LINEAR, border, cv::Scalar::all(0));
    remap_bilinear_rgb(image, got, mx, my, border);
    INFO("border " << border);
    CHECK(cv::norm(got, want, cv::NORM_INF) == 0.0);
    // Into a block of rows of a larger image: the rows around it stay as they were.
    cv::Mat canvas(30, 41, CV_32FC3, cv::Scalar::all(7));
    cv::Mat block = canvas.rowRange(3, 26);
    remap_bilinear_rgb(image, block, mx, my, border);
    CHECK(cv::norm(canvas.rowRange(3, 26), want, cv::NORM_INF) == 0.0);
    CHECK(cv::norm(canvas.rowRange(0, 3), cv::Mat(3, 41, CV_32FC3, cv::Scalar::all(7)), cv::NORM_INF) == 0.0);
    CHECK(cv::norm(canvas.rowRange(26, 30), cv::Mat(4, 41, CV_32FC3, cv::Scalar::all(7)), cv::NORM_INF) == 0.0);
  }
}

TEST_CASE("warp_affine_bilinear_rgb equals cv::warpAffine bilinear, value for value, with every border", "[unit]") {
  const cv::Mat image = k3::test::random_test_image(53, 41, 11);
  for (const cv::Matx23d forward : {cv::Matx23d(1.0025, 0.0087, -2.3, -0.0087, 1.0025, 1.7),  // Deforum's 2D motion
                                    cv::Matx23d(0.7, -0.4, 20.0, 0.5, 1.3, -9.0), cv::Matx23d(1, 0, 0, 0, 1, 0)}) {
    for (int border : {cv::BORDER_REPLICATE, cv::BORDER_REFLECT, cv::BORDER_WRAP, cv::BORDER_CONSTANT}) {
      cv::Mat want;
      cv::warpAffine(image, want, forward, image.size(), cv::INTER_LINEAR, border, cv::Scalar::all(0));
      cv::Mat got(image.size(), CV_32FC3);
      const cv::Matx23d inverse = inverse_affine(forward);
      cv::Mat top = got.rowRange(0, 17), bottom = got.rowRange(17, got.rows);  // in two blocks
      warp_affine_bilinear_rgb(image, top, inverse, 0, border);
      warp_affine_bilinear_rgb(image, bottom, inverse, 17, border);
      INFO("matrix " << forward << " border " << border);
      CHECK(cv::norm(got, want, cv::NORM_INF) == 0.0);
    }
  }
}
