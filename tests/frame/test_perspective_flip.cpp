#include <cmath>

#include <catch2/catch.hpp>

#include "animation/ops/perspective_flip.h"
#include "frame_test_images.h"
#include "base/errors.h"

using namespace k3::ops;

namespace {
constexpr double kPi = 3.14159265358979323846;
double max_entry_diff(const cv::Matx33d& a, const cv::Matx33d& b) {
  double worst = 0.0;
  for (int i = 0; i < 9; ++i) worst = std::max(worst, std::abs(a.val[i] - b.val[i]));
  return worst;
}
}  // namespace

TEST_CASE("perspective flip without Deforum's arithmetic is the identity at zero angles", "[unit]") {
  for (double fv : {30.0, 53.0, 120.0}) {
    PerspectiveFlip flip;
    flip.deforum_arithmetic = false;
    flip.fv = fv;
    const cv::Matx33d m = perspective_flip_matrix(cv::Size(512, 384), flip);
    const double error = max_entry_diff(m, cv::Matx33d::eye());
    INFO("fv " << fv << ": max |bM - I| = " << error);
    CHECK(error < 1e-9);
  }
  const cv::Mat image = k3::test::smooth_test_image(64, 48);
  PerspectiveFlip exact;
  exact.deforum_arithmetic = false;
  const cv::Mat out = perspective_flip(image, exact, SamplingOptions{});
  CHECK(cv::norm(out, image, cv::NORM_INF) < 1e-3);
}

TEST_CASE("Deforum's legacy flip projection shrinks slightly at zero angles", "[unit]") {
  PerspectiveFlip flip;  // Deforum's arithmetic (the default)
  const cv::Size size(512, 512);
  const cv::Matx33d m = perspective_flip_matrix(size, flip);
  // Distance of the flip camera from the plane: h = d / (2 sin(fv/2)); the scale is h / (h + 1).
  const double d = std::sqrt(512.0 * 512.0 * 2.0);
  const double h = d / (2.0 * std::sin(53.0 / 2.0 * kPi / 180.0));
  const double scale = h / (h + 1.0);
  const cv::Vec3d corner = m * cv::Vec3d(0, 0, 1);
  // A scaling about Deforum's flip pivot (side/2, side/2), side = d / cos(fv/2).
  const double side = d / std::cos(53.0 / 2.0 * kPi / 180.0);
  const double expected = side / 2.0 * (1.0 - scale);
  INFO("legacy scale " << scale);
  // float32 corner points and recentring (Deforum's roundings) move it by well under 1e-3 px.
  CHECK(std::abs(corner[0] / corner[2] - expected) < 1e-3);
  CHECK(std::abs(corner[1] / corner[2] - expected) < 1e-3);
}

// Deforum post-multiplies its recentring translation (bM = M33 * post), so the flip pivots about
// (side/2, side/2), side = diagonal / cos(fv/2), rather than about the image centre.
TEST_CASE("perspective flip with theta alone rotates about Deforum's pivot", "[unit]") {
  PerspectiveFlip flip;
  flip.deforum_arithmetic = false;
  flip.theta = 30.0;
  const cv::Size size(300, 200);
  const cv::Matx33d m = perspective_flip_matrix(size, flip);
  const double a = 30.0 * kPi / 180.0;
  const double side = std::sqrt(300.0 * 300.0 + 200.0 * 200.0) / std::cos(53.0 / 2.0 * kPi / 180.0);
  const cv::Matx33d to_origin(1, 0, -side / 2, 0, 1, -side / 2, 0, 0, 1);
  const cv::Matx33d rotate(std::cos(a), -std::sin(a), 0, std::sin(a), std::cos(a), 0, 0, 0, 1);
  const cv::Matx33d expected = to_origin.inv() * rotate * to_origin;
  const double error = max_entry_diff(m * (1.0 / m(2, 2)), expected);
  INFO("max entry error " << error);
  CHECK(error < 1e-9);
}

TEST_CASE("perspective flip with phi is a true perspective and rejects a bad fv", "[unit]") {
  PerspectiveFlip flip;
  flip.phi = 20.0;
  const cv::Matx33d m = perspective_flip_matrix(cv::Size(256, 256), flip);
  CHECK(std::abs(m(2, 1)) > 1e-6);  // tilting about x makes the bottom row non-affine
  flip.fv = 180.0;
  CHECK_THROWS_WITH(perspective_flip_matrix(cv::Size(256, 256), flip), Catch::Contains("perspective_flip_fv"));
}
