// The 3D warp with a depth source in the render loop (preview backend): a folder of depth images
// changes the frames exactly where its depth differs from the flat plane, and save_depth_maps
// writes one map per frame.
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/run_folder.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <iostream>

using namespace k3::anim;
using nlohmann::json;

namespace {

constexpr int kWidth = 80, kHeight = 64, kFrames = 3;

RenderSettings settings_from(const json& motion, int cadence) {
  json preset = {{"width", kWidth},
                 {"height", kHeight},
                 {"frames", kFrames},
                 {"animation_mode", "3D"},
                 {"output", {{"write_video", false}}},
                 {"motion", motion},
                 {"generation",
                  {{"noise", "0:(0)"}, {"contrast", "0:(1)"}, {"anti_blur", {{"amount", "0:(0)"}}},
                   {"color_coherence", "None"}, {"cadence", cadence}}}};
  return parse_render_settings(preset, "test");
}

cv::Mat render_frame(const json& motion, const std::string& run_dir, int frame, int cadence = 1) {
  auto backend = make_preview_backend();
  Render render = Render::start(settings_from(motion, cadence), run_dir, "test");
  render.run(*backend);
  return RunFolder::open(run_dir).read_frame(frame);
}

}  // namespace

TEST_CASE("3D preview with a depth-image folder differs from flat depth only where the depth does", "[unit][render]") {
  k3::test::TempDir dir("render-depth-images");
  // Left half brightest (nearest: normalised 1 -> z = 1, the flat plane's z); right half a ramp of
  // farther values (z between 1 and 2).
  cv::Mat depth(kHeight, kWidth, CV_8UC1);
  for (int r = 0; r < kHeight; ++r)
    for (int c = 0; c < kWidth; ++c) depth.at<std::uint8_t>(r, c) = c < kWidth / 2 ? 255 : static_cast<std::uint8_t>(4 * (c - kWidth / 2));
  std::filesystem::create_directories(dir / "depth");
  for (int i = 0; i < kFrames; ++i) REQUIRE(cv::imwrite(dir / ("depth/" + std::to_string(i) + ".png"), depth));

  const json flat = {{"translation_x", "0:(6)"}, {"translation_z", "0:(4)"}};
  json with_depth = flat;
  with_depth["depth_source"] = "images";
  with_depth["depth_path"] = dir / "depth";
  with_depth["save_depth_maps"] = true;

  const cv::Mat a = render_frame(flat, dir / "flat", 1);
  const cv::Mat b = render_frame(with_depth, dir / "depth-run", 1);
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  cv::Mat grey;
  cv::cvtColor(diff, grey, cv::COLOR_RGB2GRAY);
  const int left_changed = cv::countNonZero(grey.colRange(0, kWidth / 2));
  const int right_changed = cv::countNonZero(grey.colRange(kWidth / 2 + 1, kWidth));
  std::cout << "3D preview, depth images vs flat, frame 1: " << left_changed << " changed pixels where z = 1, "
            << right_changed << " where z > 1\n";
  CHECK(left_changed == 0);
  CHECK(right_changed > kHeight * 4);

  // One saved depth map per frame, raw depth over the running range: bright = near.
  for (int i = 0; i < kFrames; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/depth/%06d.png", i);
    const cv::Mat saved = cv::imread((dir / "depth-run") + name, cv::IMREAD_UNCHANGED);
    INFO("depth map " << i);
    REQUIRE_FALSE(saved.empty());
    CHECK(saved.size() == cv::Size(kWidth, kHeight));
    CHECK(saved.at<std::uint8_t>(0, 0) == 255);
  }
}

TEST_CASE("3D preview with cadence predicts the depth for the tweens too", "[unit][render]") {
  k3::test::TempDir dir("render-depth-cadence");
  std::filesystem::create_directories(dir / "depth");
  cv::Mat depth(kHeight, kWidth, CV_8UC1);
  for (int r = 0; r < kHeight; ++r)
    for (int c = 0; c < kWidth; ++c) depth.at<std::uint8_t>(r, c) = static_cast<std::uint8_t>(3 * c);
  for (int i = 0; i < kFrames; ++i) REQUIRE(cv::imwrite(dir / ("depth/" + std::to_string(i) + ".png"), depth));
  const json flat = {{"translation_x", "0:(6)"}};
  json with_depth = flat;
  with_depth["depth_source"] = "images";
  with_depth["depth_path"] = dir / "depth";
  // Frame 1 is a tween (cadence 3): its warp uses depth image 1.
  const cv::Mat a = render_frame(flat, dir / "flat", 1, 3);
  const cv::Mat b = render_frame(with_depth, dir / "depth-run", 1, 3);
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  CHECK(cv::countNonZero(diff.reshape(1)) > 0);
  // A folder with too few images names the frame.
  std::filesystem::remove(dir / "depth/2.png");
  CHECK_THROWS_WITH(render_frame(with_depth, dir / "short", 2, 3), Catch::Contains("frame 2"));
}
