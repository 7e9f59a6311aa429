// Zoom clips (animation_mode "zoom"): the keyframe geometry, the constant zoom rate measured by
// image registration (OpenCV ECC, affine) on preview and tiny-model clips, zoom-in as the exact
// reverse, and resume after a stop in either phase.
#include "animation/ops/image_convert.h"
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/run_folder.h"
#include "animation/render/zoom_clip.h"
#include "base/errors.h"
#include "src/public/generator.h"
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

using namespace k3::anim;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

RenderSettings zoom_settings(const json& overrides = json::object()) {
  json preset = {{"width", 64},
                 {"height", 64},
                 {"animation_mode", "zoom"},
                 {"prompts", {{"0", "a forest"}, {"1", "a castle"}, {"2", "a lake"}}},
                 {"zoom", {{"factor", 2.0}, {"keyframes", 3}, {"frames_per_keyframe", 24}, {"mask_blur", 4}}},
                 {"generation", {{"steps", "0:(2)"}, {"color_coherence", "None"}}},
                 {"seed", {{"seed", 11}}},
                 {"output", {{"write_video", false}}}};
  preset.merge_patch(overrides);
  return parse_render_settings(preset, "test");
}

double max_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double max_value = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &max_value);
  return max_value;
}

// The scale that maps frame `a` onto frame `b` (> 1: b shows a's content larger), by ECC with
// an affine motion model on the grey, slightly smoothed frames.
double registered_scale(const cv::Mat& a_rgb8, const cv::Mat& b_rgb8) {
  auto grey = [](const cv::Mat& rgb) {
    cv::Mat g, f;
    cv::cvtColor(rgb, g, cv::COLOR_RGB2GRAY);
    g.convertTo(f, CV_32F, 1.0 / 255);
    return f;
  };
  cv::Mat warp = cv::Mat::eye(2, 3, CV_32F);
  cv::findTransformECC(grey(a_rgb8), grey(b_rgb8), warp, cv::MOTION_AFFINE,
                       cv::TermCriteria(cv::TermCriteria::COUNT + cv::TermCriteria::EPS, 300, 1e-7), cv::noArray(), 3);
  // template(x) = input(W x): W scales by 1/s when b is a magnified by s.
  double det = warp.at<float>(0, 0) * warp.at<float>(1, 1) - warp.at<float>(0, 1) * warp.at<float>(1, 0);
  return 1.0 / std::sqrt(det);
}

struct RateCheck {
  double worst_scale_error = 0;      // max |s / expected - 1| over consecutive frame pairs
  double worst_increment_error = 0;  // max |(s - 1) / (expected - 1) - 1|
};

// Measures the zoom between every pair of consecutive frames of a run folder.
RateCheck measure_zoom_rate(const std::string& run_dir, int frames, double expected_scale) {
  RunFolder folder = RunFolder::open(run_dir);
  RateCheck check;
  cv::Mat previous = folder.read_frame(0);
  for (int j = 1; j < frames; ++j) {
    cv::Mat current = folder.read_frame(j);
    double s = registered_scale(previous, current);
    check.worst_scale_error = std::max(check.worst_scale_error, std::abs(s / expected_scale - 1));
    check.worst_increment_error = std::max(check.worst_increment_error, std::abs((s - 1) / (expected_scale - 1) - 1));
    previous = current;
  }
  return check;
}

}  // namespace

TEST_CASE("zoom geometry centres the shrunk keyframe and uses the exact size ratio", "[unit][render][zoom]") {
  ZoomGeometry g = zoom_geometry(cv::Size(64, 64), 2.0);
  CHECK(g.inner == cv::Rect(16, 16, 32, 32));
  CHECK(g.factor_x == 2.0);
  ZoomGeometry odd = zoom_geometry(cv::Size(80, 64), 3.0);
  CHECK(odd.inner.width == 26);
  CHECK(odd.inner.x * 2 + odd.inner.width == 80);
  CHECK(odd.factor_x == Approx(80.0 / 26));
  CHECK_THROWS_WITH(zoom_geometry(cv::Size(64, 64), 40.0), Catch::Contains("zoom.factor"));
  CHECK_THROWS_AS(zoom_geometry(cv::Size(64, 64), 1.001), k3::ConfigError);
}

TEST_CASE("a zoom canvas keeps the shrunk keyframe and fills the ring, keyframe positions compose to the keyframe",
          "[unit][render][zoom]") {
  ZoomGeometry g = zoom_geometry(cv::Size(96, 96), 2.0);
  cv::Mat first = make_test_pattern(96, 96);
  cv::GaussianBlur(first, first, cv::Size(0, 0), 4);  // smooth, so the continuation is well defined
  ZoomCanvas canvas = make_zoom_canvas(first, g);
  cv::Mat shrunk;
  cv::resize(first, shrunk, g.inner.size(), 0, 0, cv::INTER_AREA);
  CHECK(max_difference(canvas.image(g.inner), shrunk) == 0);
  CHECK(cv::countNonZero(canvas.mask) == 96 * 96 - 48 * 48);
  CHECK(cv::countNonZero(canvas.mask(g.inner)) == 0);
  // The ring continues the picture: along the seam, the ring's column next to it has about the
  // picture's colours (a mirrored, blurred continuation, not a constant or black fill).
  cv::Rect seam_column(g.inner.x, g.inner.y, 1, g.inner.height);
  cv::Scalar inside = cv::mean(canvas.image(seam_column)), outside = cv::mean(canvas.image(seam_column - cv::Point(1, 0)));
  double seam_step = cv::norm(inside - outside, cv::NORM_INF);
  cv::Scalar ring_mean, ring_spread;
  cv::meanStdDev(canvas.image, ring_mean, ring_spread, canvas.mask);
  INFO("mean colour step across the seam: " << seam_step << ", ring spread " << ring_spread);
  CHECK(seam_step < 25);
  CHECK(ring_spread[0] > 5);
  cv::Mat weight = seam_weight(g.size, g.inner, 4);
  CHECK(weight.at<float>(0, 0) == 1.f);
  CHECK(weight.at<float>(48, 48) == 0.f);
  CHECK(weight.at<float>(48, g.inner.x) > 0.8f);
  cv::Mat second = join_at_seam(canvas.image, canvas.image, weight);
  std::vector<cv::Mat> keyframes = {first, second};
  // Position 1 is keyframe 1 wherever keyframe 0 (pasted at half size) does not reach.
  cv::Mat at_one = compose_zoom_frame(keyframes, g, 1.0, 8.0);
  cv::Mat outside_mask(g.size, CV_8U, cv::Scalar(255));
  outside_mask(cv::Rect(g.inner.x - 1, g.inner.y - 1, g.inner.width + 2, g.inner.height + 2)).setTo(0);
  cv::Mat diff;
  cv::absdiff(at_one, second, diff);
  double worst = 0;
  for (int c = 0; c < 3; ++c) {
    cv::Mat channel;
    cv::extractChannel(diff, channel, c);
    double m = 0;
    cv::minMaxLoc(channel, nullptr, &m, nullptr, nullptr, outside_mask);
    worst = std::max(worst, m);
  }
  INFO("position 1 vs keyframe 1 outside the inner picture: max " << worst);
  CHECK(worst < 1e-3);
  CHECK(max_difference(compose_zoom_frame(keyframes, g, 0.0, 8.0), first) < 1e-3);
}

TEST_CASE("a preview zoom-out clip zooms at a constant rate, zoom-in is its exact reverse", "[unit][render][zoom]") {
  k3::test::TempDir dir("zoom-preview");
  auto backend = make_preview_backend();
  RenderSettings out_settings = zoom_settings({{"width", 128}, {"height", 128}, {"output", {{"write_video", true}}}});
  REQUIRE(out_settings.frames == 73);
  RenderResult out = Render::start(out_settings, dir / "out", "test").run(*backend);
  REQUIRE(fs::file_size(out.video_path) > 0);
  CHECK(fs::exists(dir / "out/state/zoom-keyframe-3.k3mat"));
  double expected = std::pow(2.0, 1.0 / 24);
  RateCheck rate = measure_zoom_rate(dir / "out", 73, expected);
  std::cout << "preview zoom-out 128x128, 3 keyframes x 24: per-frame scale " << expected << ", worst error "
            << rate.worst_scale_error * 100 << "% of the scale, " << rate.worst_increment_error * 100 << "% of the increment\n";
  CHECK(rate.worst_scale_error < 0.01);

  RenderSettings in_settings = zoom_settings({{"width", 128}, {"height", 128}, {"zoom", {{"direction", "in"}}}});
  Render::start(in_settings, dir / "in", "test").run(*backend);
  RunFolder a = RunFolder::open(dir / "out"), b = RunFolder::open(dir / "in");
  for (int k = 0; k <= 3; ++k) {
    std::string name = "/state/zoom-keyframe-" + std::to_string(k) + ".k3mat";
    INFO("keyframe " << k);
    REQUIRE(max_difference(read_mat(dir / "out" + name), read_mat(dir / "in" + name)) == 0);
  }
  for (int j = 0; j < 73; ++j) {
    INFO("zoom-in frame " << j);
    REQUIRE(max_difference(a.read_frame(j), b.read_frame(72 - j)) == 0);
  }

  // Cut short to 30 frames, a zoom-out makes only the keyframes it reaches, and the same frames.
  RenderSettings cut_settings = zoom_settings({{"width", 128}, {"height", 128}, {"frames", 30}});
  Render::start(cut_settings, dir / "cut", "test").run(*backend);
  CHECK(fs::exists(dir / "cut/state/zoom-keyframe-2.k3mat"));
  CHECK_FALSE(fs::exists(dir / "cut/state/zoom-keyframe-3.k3mat"));
  RunFolder cut = RunFolder::open(dir / "cut");
  for (int j = 0; j < 30; ++j) REQUIRE(max_difference(cut.read_frame(j), a.read_frame(j)) == 0);
}

TEST_CASE("a stopped zoom render resumes to the same frames (keyframe and frame phases)", "[unit][render][zoom]") {
  k3::test::TempDir dir("zoom-resume");
  auto backend = make_preview_backend();
  RenderSettings settings = zoom_settings({{"zoom", {{"frames_per_keyframe", 4}}}});
  Render::start(settings, dir / "whole", "test").run(*backend);
  RunFolder whole = RunFolder::open(dir / "whole");
  for (int stop_after : {1, 9}) {  // after keyframe 1 is made; after output frame 9 is written
    std::string run_dir = dir / ("stopped-" + std::to_string(stop_after));
    RenderCallbacks stop;
    stop.on_progress = [&](const RenderProgress& p) {
      bool keyframe_done = p.diffused && p.step == 0 && p.frame == 4;
      bool frame_done = !p.diffused && p.frame == stop_after;
      return !(stop_after == 1 ? keyframe_done : frame_done);
    };
    CHECK_THROWS_AS(Render::start(settings, run_dir, "test").run(*backend, stop), k3::Cancelled);
    Render resumed = Render::resume(run_dir);
    CHECK(resumed.next_frame() == (stop_after == 1 ? 0 : stop_after + 1));
    resumed.run(*backend);
    RunFolder folder = RunFolder::open(run_dir);
    for (int j = 0; j < settings.frames; ++j) {
      INFO("stopped after " << stop_after << ", frame " << j);
      REQUIRE(max_difference(folder.read_frame(j), whole.read_frame(j)) == 0);
    }
  }
}

TEST_CASE("zoom settings: the frame count follows the keyframes, bad values are named", "[unit][render][zoom]") {
  RenderSettings s = zoom_settings({{"zoom", {{"keyframes", 2}, {"frames_per_keyframe", 5}}}});
  CHECK(s.frames == 11);
  CHECK(parse_render_settings(to_json(s), "again").frames == 11);
  CHECK(zoom_settings({{"frames", 12}}).frames == 12);  // a cut clip
  CHECK_THROWS_WITH(zoom_settings({{"frames", 74}}), Catch::Contains("frames") && Catch::Contains("73"));
  CHECK_THROWS_WITH(zoom_settings({{"zoom", {{"direction", "sideways"}}}}), Catch::Contains("zoom.direction"));
  k3::test::TempDir dir("zoom-bad");
  CHECK_THROWS_WITH(Render::start(zoom_settings({{"zoom", {{"mask_blur", 40}}}}), dir / "run", "test"),
                    Catch::Contains("zoom.mask_blur"));
  CHECK_FALSE(fs::exists(dir / "run"));
  RenderSettings overridden = zoom_settings();
  overridden.frames = 100;  // what `k3anim render --frames 100` does after parsing
  CHECK_THROWS_WITH(Render::start(overridden, dir / "run", "test"), Catch::Contains("frames") && Catch::Contains("73"));
  CHECK_FALSE(fs::exists(dir / "run"));
}

TEST_CASE("a tiny-model zoom-out clip outpaints each ring and zooms at a constant rate", "[unit][render][zoom][model][slow]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("zoom-model");
  k3::GeneratorOptions options;
  options.model_dir = k3::test::fixtures_root() + "/k3-tiny";
  auto backend = make_kandinsky_backend(options);
  const int side = static_cast<int>(k3::test::fixture::model_geometry().image_side);  // the tiny model's square
  RenderSettings settings = zoom_settings({{"width", side}, {"height", side}});
  settings.model.dir = options.model_dir;
  Render::start(settings, dir / "run", "test").run(*backend);
  RunFolder folder = RunFolder::open(dir / "run");

  // Each ring is the model's (not the mirrored fill) and the kept picture survives inside it.
  ZoomGeometry g = zoom_geometry(cv::Size(side, side), 2.0);
  for (int k = 1; k <= 3; ++k) {
    cv::Mat previous = read_mat(dir / ("run/state/zoom-keyframe-" + std::to_string(k - 1) + ".k3mat"));
    cv::Mat keyframe = read_mat(dir / ("run/state/zoom-keyframe-" + std::to_string(k) + ".k3mat"));
    ZoomCanvas canvas = make_zoom_canvas(previous, g);
    cv::Mat ring_diff;
    cv::absdiff(keyframe, canvas.image, ring_diff);
    double ring_change = cv::mean(ring_diff, canvas.mask)[0];
    cv::Rect core(g.inner.x + 4, g.inner.y + 4, g.inner.width - 8, g.inner.height - 8);  // beyond the mask blur
    double core_change = max_difference(keyframe(core), canvas.image(core));
    INFO("keyframe " << k << ": mean ring change " << ring_change << ", max change inside " << core_change);
    CHECK(ring_change > 2.0);
    CHECK(core_change <= 0.5);
  }
  double expected = std::pow(2.0, 1.0 / 24);
  RateCheck rate = measure_zoom_rate(dir / "run", settings.frames, expected);
  std::cout << "tiny-model zoom-out " << side << "x" << side << ", 3 keyframes x 24: per-frame scale " << expected << ", worst error "
            << rate.worst_scale_error * 100 << "% of the scale, " << rate.worst_increment_error * 100 << "% of the increment\n";
  CHECK(rate.worst_scale_error < 0.01);
}
