#include <cmath>

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>

#include "animation/ops/warp_3d.h"
#include "frame_test_images.h"
#include "base/errors.h"

using namespace k3::ops;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Source pixel read by destination pixel (col, row), from the maps.
cv::Point2d source_at(const cv::Mat& mx, const cv::Mat& my, int col, int row) {
  return {mx.at<float>(row, col), my.at<float>(row, col)};
}

// World x, y of a pixel: torch.linspace(-1, 1) over the pixels.
double world(int index, int count) { return -1.0 + 2.0 * index / (count - 1); }

double focal(double fov_deg) { return 1.0 / std::tan(fov_deg * kPi / 360.0); }

}  // namespace

TEST_CASE("3D warp, flat depth: translation x/y shifts every pixel by K*t/200*size/2", "[unit]") {
  const cv::Size size(257, 129);
  Warp3D warp;
  warp.translation_x = 10.0;
  warp.translation_y = -6.0;
  warp.fov = 70.0;
  cv::Mat mx, my;
  warp_3d_maps(size, cv::Mat(), warp, mx, my);
  const double k = focal(70.0);
  // Deforum: +x moves the content left, so each pixel reads from the right.
  const double dx = k * (10.0 / 200.0) * 257 / 2.0;
  const double dy = -k * (-6.0 / 200.0) * 129 / 2.0;
  double worst = 0.0;
  for (cv::Point p : {cv::Point(0, 0), cv::Point(256, 0), cv::Point(0, 128), cv::Point(256, 128), cv::Point(128, 64)}) {
    const cv::Point2d s = source_at(mx, my, p.x, p.y);
    worst = std::max(worst, cv::norm(s - cv::Point2d(p.x + dx, p.y + dy)));
  }
  INFO("shift " << dx << ", " << dy << " px; max error " << worst);
  CHECK(worst < 1e-3);
  // The figure quoted by the spec: about 18 px per frame at W = 512 for translation_x = 10.
  CHECK(std::abs(k * 0.05 * 256 - 18.28) < 0.05);
}

TEST_CASE("3D warp, flat depth: translation z zooms about the centre by 1/(1 - tz/200)", "[unit]") {
  const cv::Size size(101, 81);
  Warp3D warp;
  warp.translation_z = 1.75;
  warp.fov = 40.0;
  cv::Mat mx, my;
  warp_3d_maps(size, cv::Mat(), warp, mx, my);
  const double k = focal(40.0);
  const double gain = 1.0 / (1.0 - 1.75 / 200.0) - 1.0;  // z' = 0.99125
  double worst = 0.0;
  for (cv::Point p : {cv::Point(0, 0), cv::Point(100, 0), cv::Point(0, 80), cv::Point(100, 80), cv::Point(50, 40)}) {
    const double x = world(p.x, 101), y = world(p.y, 81);
    const cv::Point2d want(p.x - k * x * gain * 101 / 2.0, p.y - k * y * gain * 81 / 2.0);
    worst = std::max(worst, cv::norm(source_at(mx, my, p.x, p.y) - want));
  }
  INFO("max error " << worst << " px");
  CHECK(worst < 1e-3);
  // Centre pixel stays; corners read from nearer the centre (zoom in).
  CHECK(cv::norm(source_at(mx, my, 50, 40) - cv::Point2d(50, 40)) < 1e-4);
  CHECK(source_at(mx, my, 0, 0).x > 0.0);
  CHECK(source_at(mx, my, 100, 80).y < 80.0);
}

TEST_CASE("3D warp, flat depth: rotations at the centre and the corners", "[unit]") {
  const cv::Size size(101, 101);
  const double k = focal(70.0);
  cv::Mat mx, my;
  SECTION("pan (rotation y) moves the centre by K*tan(ry)*W/2") {
    Warp3D warp;
    warp.rotation_y = 1.0;
    warp_3d_maps(size, cv::Mat(), warp, mx, my);
    const double shift = k * std::tan(kPi / 180.0) * 101 / 2.0;
    const cv::Point2d s = source_at(mx, my, 50, 50);
    INFO("centre reads " << s << ", expected x " << 50 + shift);
    CHECK(std::abs(s.x - (50 + shift)) < 1e-3);
    CHECK(std::abs(s.y - 50) < 1e-4);
    // A corner: X_view = X * Ry, so x' = x cos - z sin, z' = x sin + z cos.
    const double x = -1.0, y = -1.0, c = std::cos(kPi / 180.0), sn = std::sin(kPi / 180.0);
    const double nx = k * (x * c - sn) / (x * sn + c), ny = k * y / (x * sn + c);
    const cv::Point2d want(0 - (nx - k * x) * 101 / 2.0, 0 - (ny - k * y) * 101 / 2.0);
    CHECK(cv::norm(source_at(mx, my, 0, 0) - want) < 1e-3);
  }
  SECTION("tilt (rotation x) moves the centre vertically") {
    Warp3D warp;
    warp.rotation_x = 2.0;
    warp_3d_maps(size, cv::Mat(), warp, mx, my);
    // X * Rx: y' = y cos + z sin, z' = -y sin + z cos; at the centre y'/z' = tan.
    const double shift = k * std::tan(2.0 * kPi / 180.0) * 101 / 2.0;
    const cv::Point2d s = source_at(mx, my, 50, 50);
    CHECK(std::abs(s.y - (50 - shift)) < 1e-3);
    CHECK(std::abs(s.x - 50) < 1e-4);
  }
  SECTION("roll (rotation z) is a rotation about the centre in NDC") {
    Warp3D warp;
    warp.rotation_z = 5.0;
    warp_3d_maps(size, cv::Mat(), warp, mx, my);
    const double a = 5.0 * kPi / 180.0;
    for (cv::Point p : {cv::Point(0, 0), cv::Point(100, 0), cv::Point(0, 100), cv::Point(100, 100)}) {
      const double x = world(p.x, 101), y = world(p.y, 101);
      const double xr = x * std::cos(a) + y * std::sin(a), yr = -x * std::sin(a) + y * std::cos(a);
      const cv::Point2d want(p.x - k * (xr - x) * 101 / 2.0, p.y - k * (yr - y) * 101 / 2.0);
      CHECK(cv::norm(source_at(mx, my, p.x, p.y) - want) < 1e-3);
    }
  }
}

TEST_CASE("3D warp: near and far have no effect - aspect ratio scales x only", "[unit]") {
  const cv::Size size(64, 48);
  Warp3D a;
  a.translation_x = 7.0;
  a.translation_z = 3.0;
  a.rotation_y = 2.0;
  Warp3D b = a;
  b.near = 0.5;
  b.far = 50.0;
  cv::Mat ax, ay, bx, by;
  warp_3d_maps(size, cv::Mat(), a, ax, ay);
  warp_3d_maps(size, cv::Mat(), b, bx, by);
  CHECK(cv::norm(ax, bx, cv::NORM_INF) == 0.0);
  CHECK(cv::norm(ay, by, cv::NORM_INF) == 0.0);
  b = a;
  b.aspect_ratio = 2.0;
  warp_3d_maps(size, cv::Mat(), b, bx, by);
  CHECK(cv::norm(ay, by, cv::NORM_INF) == 0.0);
  cv::Mat grid_x(size, CV_32FC1);
  for (int r = 0; r < size.height; ++r)
    for (int c = 0; c < size.width; ++c) grid_x.at<float>(r, c) = static_cast<float>(c);
  // The x displacement halves when the aspect ratio doubles.
  CHECK(cv::norm(bx - grid_x, (ax - grid_x) * 0.5, cv::NORM_INF) < 1e-3);
}

TEST_CASE("3D warp with a depth map: nearer pixels move more (parallax)", "[unit]") {
  const cv::Size size(64, 32);
  cv::Mat depth(size, CV_32FC1);
  for (int r = 0; r < size.height; ++r)
    for (int c = 0; c < size.width; ++c) depth.at<float>(r, c) = c < 32 ? 1.0f : 2.0f;
  Warp3D warp;
  warp.translation_x = 20.0;
  cv::Mat mx, my;
  warp_3d_maps(size, depth, warp, mx, my);
  const double k = focal(70.0);
  const double near_shift = mx.at<float>(10, 5) - 5.0;
  const double far_shift = mx.at<float>(10, 50) - 50.0;
  INFO("near shift " << near_shift << ", far shift " << far_shift);
  CHECK(std::abs(near_shift - k * 0.1 / 1.0 * 32.0) < 1e-3);
  CHECK(std::abs(far_shift - k * 0.1 / 2.0 * 32.0) < 1e-3);
  CHECK_THROWS_WITH(warp_3d_maps(cv::Size(10, 10), depth, warp, mx, my), Catch::Contains("expected a CV_32FC1 map of 10x10"));
}

TEST_CASE("3D warp identity settings leave the image unchanged", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(80, 60);
  for (auto interpolation : {Interpolation::Nearest, Interpolation::Bilinear, Interpolation::Bicubic,
                             Interpolation::Lanczos}) {
    const cv::Mat out = warp_3d(image, cv::Mat(), Warp3D{}, SamplingOptions{BorderMode::Replicate, interpolation});
    INFO(to_string(interpolation));
    CHECK(cv::norm(out, image, cv::NORM_INF) < 1e-3);
  }
}

TEST_CASE("opposite 3D motions undo each other within interpolation error", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(128, 128);
  const SamplingOptions sampling{BorderMode::Replicate, Interpolation::Bicubic};
  Warp3D forward;
  forward.translation_x = 6.0;
  forward.translation_y = -4.0;
  Warp3D back;
  back.translation_x = -6.0;
  back.translation_y = 4.0;
  double error = k3::test::max_abs_diff_inside(warp_3d(warp_3d(image, cv::Mat(), forward, sampling), cv::Mat(), back, sampling), image, 16);
  INFO("translation round trip max error " << error);
  CHECK(error < 2.0);
  // Forward then backward along z: scales 1/(1-d) then 1/(1+d), d = tz/200: inverse up to d^2.
  Warp3D in;
  in.translation_z = 1.75;
  Warp3D out;
  out.translation_z = -1.75;
  error = k3::test::max_abs_diff_inside(warp_3d(warp_3d(image, cv::Mat(), in, sampling), cv::Mat(), out, sampling), image, 16);
  INFO("z round trip max error " << error);
  CHECK(error < 2.0);
}

TEST_CASE("3D warp rejects a bad fov and clamps overshoot", "[unit]") {
  Warp3D warp;
  warp.fov = 0.0;
  cv::Mat mx, my;
  CHECK_THROWS_WITH(warp_3d_maps(cv::Size(8, 8), cv::Mat(), warp, mx, my), Catch::Contains("fov"));
  cv::Mat checker(32, 32, CV_32FC3);
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 32; ++c) checker.at<cv::Vec3f>(r, c) = cv::Vec3f::all((r + c) % 2 ? 255.f : 0.f);
  Warp3D shift;
  shift.translation_x = 1.3;
  const cv::Mat out = warp_3d(checker, cv::Mat(), shift, SamplingOptions{BorderMode::Reflect, Interpolation::Lanczos});
  double lo, hi;
  cv::minMaxLoc(out.reshape(1), &lo, &hi);
  CHECK(lo >= 0.0);
  CHECK(hi <= 255.0);
}

TEST_CASE("3D warp by blocks of rows equals cv::remap with the whole maps", "[unit]") {
  // warp_3d computes the maps and remaps one block of rows at a time; warp_3d_maps gives the
  // whole maps. Same values, bit for bit, with and without depth, at an odd size of several blocks.
  const cv::Mat image = k3::test::random_test_image(97, 161, 7);
  cv::Mat depth(161, 97, CV_32FC1);
  cv::randu(depth, 1.0, 2.0);
  Warp3D warp;
  warp.translation_x = 3.0;
  warp.translation_z = 2.0;
  warp.rotation_y = 1.5;
  warp.rotation_z = -2.0;
  for (const cv::Mat* z : {static_cast<const cv::Mat*>(nullptr), static_cast<const cv::Mat*>(&depth)}) {
    for (Interpolation interpolation : {Interpolation::Bilinear, Interpolation::Bicubic}) {
      const SamplingOptions sampling{BorderMode::Replicate, interpolation};
      cv::Mat mx, my, want;
      warp_3d_maps(image.size(), z ? *z : cv::Mat(), warp, mx, my);
      cv::remap(image, want, mx, my, to_cv_interpolation(interpolation), cv::BORDER_REPLICATE);
      cv::max(want, 0.0, want);
      cv::min(want, 255.0, want);
      INFO((z ? "depth map " : "flat ") << to_string(interpolation));
      CHECK(cv::norm(warp_3d(image, z ? *z : cv::Mat(), warp, sampling), want, cv::NORM_INF) == 0.0);
    }
  }
}

TEST_CASE("3D warp reuses its output memory only once the caller has let go of it", "[unit]") {
  const cv::Mat image = k3::test::smooth_test_image(64, 48);
  const SamplingOptions sampling{BorderMode::Replicate, Interpolation::Bilinear};
  Warp3D left, right;
  left.translation_x = 5.0;
  right.translation_x = -5.0;
  const cv::Mat first = warp_3d(image, cv::Mat(), left, sampling);
  const cv::Mat kept = first.clone();
  cv::Mat second = warp_3d(image, cv::Mat(), right, sampling);
  CHECK(second.data != first.data);  // `first` is still held: not overwritten
  CHECK(cv::norm(first, kept, cv::NORM_INF) == 0.0);
  const uchar* released = second.data;
  second.release();
  const cv::Mat third = warp_3d(image, cv::Mat(), left, sampling);
  CHECK(third.data == released);  // nobody held it any more: the same memory again
  CHECK(cv::norm(third, kept, cv::NORM_INF) == 0.0);
}
