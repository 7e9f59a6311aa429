// The render loop with the preview backend: identity settings keep frame 0, cadence keeps every
// frame, init images are used, and a cancelled run resumes exactly.
#include "animation/ops/image_convert.h"
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/run_folder.h"
#include "base/errors.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>

using namespace k3::anim;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

RenderSettings settings_from(const json& preset) {
  json full = {{"width", 80}, {"height", 64}, {"frames", 7}, {"output", {{"write_video", false}}}};
  full.update(preset, true);
  return parse_render_settings(full, "test");
}

double max_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  double max_value = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &max_value);
  return max_value;
}

const json kIdentity = {{"motion", {{"zoom", "0:(1)"}, {"angle", "0:(0)"}}},
                        {"generation", {{"noise", "0:(0)"}, {"contrast", "0:(1)"}, {"anti_blur", {{"amount", "0:(0)"}}},
                                        {"color_coherence", "None"}}}};

}  // namespace

TEST_CASE("preview with every operation at identity repeats frame 0 (2D, 3D, cadence)", "[unit][render]") {
  for (const char* mode : {"2D", "3D", "None"}) {
    for (int cadence : {1, 3}) {
      k3::test::TempDir dir("loop-identity");
      json preset = kIdentity;
      preset["animation_mode"] = mode;
      preset["generation"]["cadence"] = cadence;
      auto backend = make_preview_backend();
      Render render = Render::start(settings_from(preset), dir / "run", "test");
      auto result = render.run(*backend);
      REQUIRE(result.frames == 7);
      RunFolder folder = RunFolder::open(dir / "run");
      cv::Mat first = folder.read_frame(0);
      CHECK(max_difference(first, k3::ops::to_u8_rgb(make_test_pattern(80, 64))) == 0);
      for (int i = 1; i < 7; ++i) {
        INFO(mode << " cadence " << cadence << " frame " << i);
        CHECK(max_difference(folder.read_frame(i), first) == 0);
      }
    }
  }
}

TEST_CASE("preview frame 0 is the init image resized", "[unit][render]") {
  k3::test::TempDir dir("loop-init");
  cv::Mat image(96, 128, CV_8UC3, cv::Scalar(10, 200, 60));  // BGR on disk
  cv::circle(image, {64, 48}, 20, cv::Scalar(255, 255, 255), -1);
  cv::imwrite(dir / "init.png", image);
  json preset = kIdentity;
  preset["init_image"] = dir / "init.png";
  auto backend = make_preview_backend();
  Render::start(settings_from(preset), dir / "run", "test").run(*backend);
  cv::Mat frame = RunFolder::open(dir / "run").read_frame(0);
  CHECK(frame.cols == 80);
  CHECK(frame.rows == 64);
  cv::Vec3b corner = frame.at<cv::Vec3b>(0, 0);  // RGB
  CHECK(corner == cv::Vec3b(60, 200, 10));
}

TEST_CASE("motion moves the preview: a zoom changes later frames", "[unit][render]") {
  k3::test::TempDir dir("loop-motion");
  json preset = kIdentity;
  preset["motion"]["zoom"] = "0:(1.05)";
  auto backend = make_preview_backend();
  Render::start(settings_from(preset), dir / "run", "test").run(*backend);
  RunFolder folder = RunFolder::open(dir / "run");
  CHECK(max_difference(folder.read_frame(0), folder.read_frame(6)) > 50);
}

TEST_CASE("a cancelled render resumes to the same frames as an uninterrupted one", "[unit][render]") {
  for (int cadence : {1, 2, 3}) {
    k3::test::TempDir dir("loop-resume");
    json preset = {{"animation_mode", cadence == 2 ? "2D" : "3D"},
                   {"frames", 11},
                   {"motion", {{"zoom", "0:(1.03)"}, {"angle", "0:(2)"}, {"translation_z", "0:(3)"}, {"rotation_3d_y", "0:(1)"}}},
                   {"generation", {{"cadence", cadence}, {"noise", "0:(0.05)"}, {"color_coherence", "LAB"}}},
                   {"seed", {{"seed", 5}, {"behavior", "random"}}}};
    auto backend = make_preview_backend();
    Render::start(settings_from(preset), dir / "whole", "test").run(*backend);

    RenderCallbacks stop_at_5;
    stop_at_5.on_progress = [](const RenderProgress& p) { return p.frame < 5; };
    CHECK_THROWS_AS(Render::start(settings_from(preset), dir / "parts", "test").run(*backend, stop_at_5), k3::Cancelled);
    Render resumed = Render::resume(dir / "parts");
    CHECK(resumed.next_frame() == 6);
    auto result = resumed.run(*backend);
    CHECK(result.resumed_from == 6);
    RunFolder whole = RunFolder::open(dir / "whole"), parts = RunFolder::open(dir / "parts");
    for (int i = 0; i < 11; ++i) {
      INFO("cadence " << cadence << " frame " << i);
      CHECK(k3::test::read_file(whole.frame_path(i)) == k3::test::read_file(parts.frame_path(i)));
    }
  }
}

TEST_CASE("legacy_colormatch leaves the diffused frames unmatched, and nothing else", "[unit][render]") {
  // The preview backend returns each init as the diffused frame: matched after it without
  // legacy_colormatch, as it is with. Frame 0 (the reference) is the same either way, and without
  // colour coherence the setting changes nothing.
  auto backend = make_preview_backend();
  for (const std::string coherence : {"LAB", "None"}) {
    k3::test::TempDir dir("loop-legacy");
    json preset = {{"animation_mode", "2D"},
                   {"motion", {{"zoom", "0:(1.05)"}, {"angle", "0:(3)"}}},
                   {"generation", {{"noise", "0:(0.1)"}, {"contrast", "0:(1.1)"}, {"color_coherence", coherence}}},
                   {"seed", {{"seed", 5}, {"behavior", "fixed"}}}};
    Render::start(settings_from(preset), dir / "matched", "test").run(*backend);
    preset["generation"]["legacy_colormatch"] = true;
    Render::start(settings_from(preset), dir / "legacy", "test").run(*backend);
    RunFolder matched = RunFolder::open(dir / "matched"), legacy = RunFolder::open(dir / "legacy");
    INFO("colour coherence " << coherence);
    CHECK(k3::test::read_file(matched.frame_path(0)) == k3::test::read_file(legacy.frame_path(0)));
    int differing = 0;
    for (int i = 1; i < 7; ++i) differing += k3::test::read_file(matched.frame_path(i)) != k3::test::read_file(legacy.frame_path(i));
    CHECK(differing == (coherence == "None" ? 0 : 6));
  }
}

TEST_CASE("color_force_grayscale makes every frame grey, generated and tweened", "[unit][render]") {
  auto backend = make_preview_backend();
  for (int cadence : {1, 3}) {
    k3::test::TempDir dir("loop-grey");
    json preset = {{"animation_mode", cadence == 1 ? "2D" : "3D"},
                   {"motion", {{"zoom", "0:(1.05)"}, {"translation_z", "0:(3)"}}},
                   {"generation", {{"cadence", cadence}, {"noise", "0:(0.1)"}, {"color_coherence", "LAB"},
                                   {"color_force_grayscale", true}}}};
    Render::start(settings_from(preset), dir / "grey", "test").run(*backend);
    RunFolder grey = RunFolder::open(dir / "grey");
    for (int i = 0; i < 7; ++i) {
      std::vector<cv::Mat> channels;
      cv::split(grey.read_frame(i), channels);
      INFO("cadence " << cadence << " frame " << i);
      CHECK(cv::norm(channels[0], channels[1], cv::NORM_INF) == 0.0);
      CHECK(cv::norm(channels[0], channels[2], cv::NORM_INF) == 0.0);
      CHECK(cv::norm(channels[0], cv::NORM_INF) > 0.0);
    }
  }
}

TEST_CASE("a run folder that already holds a run is refused", "[unit][render]") {
  k3::test::TempDir dir("loop-existing");
  auto backend = make_preview_backend();
  Render::start(settings_from(kIdentity), dir / "run", "test").run(*backend);
  CHECK_THROWS_AS(Render::start(settings_from(kIdentity), dir / "run", "test"), k3::FileError);
}
