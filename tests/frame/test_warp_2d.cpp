#include <cmath>

#include <catch2/catch.hpp>

#include "animation/ops/warp_2d.h"
#include "frame_test_images.h"
#include "base/errors.h"

using namespace k3::ops;

namespace {

constexpr double kPi = 3.14159265358979323846;

cv::Point2d apply(const cv::Matx33d& m, cv::Point2d p) {
  const cv::Vec3d q = m * cv::Vec3d(p.x, p.y, 1.0);
  return {q[0] / q[2], q[1] / q[2]};
}

// Closed form: translate by t, then rotate by `angle` degrees (counter-clockwise on screen,
// i.e. with y pointing down) and scale by `zoom` about c.
cv::Point2d expected_2d(cv::Point2d p, double angle, double zoom, cv::Point2d t, cv::Point2d c) {
  const double a = angle * kPi / 180.0;
  const cv::Point2d q = p + t - c;
  return {c.x + zoom * (std::cos(a) * q.x + std::sin(a) * q.y), c.y + zoom * (-std::sin(a) * q.x + std::cos(a) * q.y)};
}

}  // namespace

TEST_CASE("2D warp matrix equals rotation about the centre after translation", "[unit]") {
  const cv::Size size(640, 360);
  Warp2D warp;
  warp.angle = 17.0;
  warp.zoom = 1.3;
  warp.translation_x = 12.0;
  warp.translation_y = -7.5;
  warp.center_x = 0.25;
  warp.center_y = 0.7;
  const cv::Matx33d m = warp_2d_matrix(size, warp);
  const cv::Point2d centre(640 * 0.25, 360 * 0.7);
  double worst = 0.0;
  for (cv::Point2d p : {cv::Point2d(0, 0), cv::Point2d(639, 0), cv::Point2d(0, 359), cv::Point2d(639, 359),
                        cv::Point2d(320, 180), centre}) {
    const cv::Point2d got = apply(m, p);
    const cv::Point2d want = expected_2d(p, warp.angle, warp.zoom, {12.0, -7.5}, centre);
    worst = std::max(worst, cv::norm(got - want));
  }
  INFO("max matrix error " << worst << " px");
  CHECK(worst < 1e-9);
  // The centre stays put without translation; a zoom-only matrix scales distances from it.
  warp.translation_x = warp.translation_y = 0.0;
  CHECK(cv::norm(apply(warp_2d_matrix(size, warp), centre) - centre) < 1e-9);
}

TEST_CASE("2D warp identity settings leave the image unchanged", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(96, 64);
  for (auto interpolation : {Interpolation::Nearest, Interpolation::Bilinear, Interpolation::Bicubic,
                             Interpolation::Lanczos}) {
    const cv::Mat out = warp_2d(image, Warp2D{}, SamplingOptions{BorderMode::Replicate, interpolation});
    INFO(to_string(interpolation));
    CHECK(cv::norm(out, image, cv::NORM_INF) < 1e-3);
  }
}

TEST_CASE("2D warp moves content in Deforum's directions", "[unit]") {
  cv::Mat image = cv::Mat::zeros(64, 64, CV_32FC3);
  image.at<cv::Vec3f>(20, 30) = cv::Vec3f(255, 255, 255);
  Warp2D warp;
  warp.translation_x = 5.0;  // right
  warp.translation_y = 3.0;  // down
  const cv::Mat moved = warp_2d(image, warp, SamplingOptions{BorderMode::Zeros, Interpolation::Nearest});
  CHECK(moved.at<cv::Vec3f>(23, 35)[0] == 255.f);
  CHECK(moved.at<cv::Vec3f>(20, 30)[0] == 0.f);
  // 90 degrees counter-clockwise about (32, 32): a point right of the centre goes above it.
  cv::Mat dot = cv::Mat::zeros(64, 64, CV_32FC3);
  dot.at<cv::Vec3f>(32, 42) = cv::Vec3f(255, 255, 255);
  Warp2D turn;
  turn.angle = 90.0;
  const cv::Mat turned = warp_2d(dot, turn, SamplingOptions{BorderMode::Zeros, Interpolation::Nearest});
  CHECK(turned.at<cv::Vec3f>(22, 32)[0] == 255.f);
}

TEST_CASE("opposite 2D motions undo each other within interpolation error", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(128, 96);
  Warp2D forward;
  forward.angle = 4.0;
  forward.zoom = 1.05;
  forward.translation_x = 3.5;
  forward.translation_y = -2.25;
  const cv::Matx33d inverse = warp_2d_matrix(image.size(), forward).inv();
  // The inverse motion as Deforum parameters: rotate back, unzoom, then translate back.
  Warp2D back;
  back.angle = -4.0;
  back.zoom = 1.0 / 1.05;
  const cv::Matx33d back_rot = warp_2d_matrix(image.size(), back);
  // back_rot * T(t') = inverse  =>  T(t') = back_rot^-1 * inverse
  const cv::Matx33d t = back_rot.inv() * inverse;
  back.translation_x = t(0, 2);
  back.translation_y = t(1, 2);
  CHECK(std::abs(t(0, 0) - 1.0) < 1e-9);
  CHECK(std::abs(t(0, 1)) < 1e-9);
  const SamplingOptions sampling{BorderMode::Replicate, Interpolation::Bicubic};
  const cv::Mat round_trip = warp_2d(warp_2d(image, forward, sampling), back, sampling);
  const double error = k3::test::max_abs_diff_inside(round_trip, image, 12);
  INFO("round-trip max error " << error << " (0..255)");
  CHECK(error < 2.0);
}

TEST_CASE("2D warp with perspective flip keeps or drops the translation", "[unit]") {
  const cv::Size size(200, 100);
  Warp2D warp;
  warp.translation_x = 10.0;
  warp.perspective_flip = PerspectiveFlip{};
  warp.perspective_flip->deforum_arithmetic = false;
  const cv::Matx33d kept = warp_2d_matrix(size, warp);
  CHECK(std::abs(kept(0, 2) - 10.0) < 1e-6);  // zero flip angles: flip = identity, translation kept
  warp.drop_translation_with_flip = true;
  const cv::Matx33d dropped = warp_2d_matrix(size, warp);
  CHECK(std::abs(dropped(0, 2)) < 1e-6);
}

TEST_CASE("2D warp rejects a non-positive zoom and non-float images", "[unit]") {
  Warp2D warp;
  warp.zoom = 0.0;
  CHECK_THROWS_WITH(warp_2d_matrix(cv::Size(8, 8), warp), Catch::Contains("zoom") && Catch::Contains("got 0"));
  CHECK_THROWS_AS(warp_2d(cv::Mat::zeros(8, 8, CV_8UC3), Warp2D{}, SamplingOptions{}), k3::ConfigError);
}

TEST_CASE("2D warp border modes: wrap, replicate, reflect, zeros", "[unit]") {
  const cv::Mat image = k3::test::random_test_image(40, 20, 21);
  Warp2D shift;
  shift.translation_x = 10.0;  // whole pixels: every mode reads exact source pixels
  const auto at = [](const cv::Mat& m, int r, int c) { return m.at<cv::Vec3f>(r, c); };
  const cv::Mat wrapped = warp_2d(image, shift, SamplingOptions{BorderMode::Wrap, Interpolation::Bilinear});
  const cv::Mat replicated = warp_2d(image, shift, SamplingOptions{BorderMode::Replicate, Interpolation::Bilinear});
  const cv::Mat reflected = warp_2d(image, shift, SamplingOptions{BorderMode::Reflect, Interpolation::Bilinear});
  const cv::Mat zeroed = warp_2d(image, shift, SamplingOptions{BorderMode::Zeros, Interpolation::Bilinear});
  for (int r : {0, 7, 19}) {
    for (int c = 0; c < 40; ++c) {
      const cv::Vec3f inside = c >= 10 ? at(image, r, c - 10) : cv::Vec3f();
      CHECK(at(wrapped, r, c) == (c >= 10 ? inside : at(image, r, c + 30)));
      CHECK(at(replicated, r, c) == (c >= 10 ? inside : at(image, r, 0)));
      CHECK(at(reflected, r, c) == (c >= 10 ? inside : at(image, r, 9 - c)));  // edge pixel repeated
      CHECK(at(zeroed, r, c) == (c >= 10 ? inside : cv::Vec3f(0, 0, 0)));
    }
  }
}
