// Deforum's optical-flow cadence in the render loop (preview backend): the first segment has no
// flow and equals a plain cadence render, later tweens follow the flow, and a run stopped in the
// middle of a segment resumes to the same frames (the segment's flow is in the journal).
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/render_warnings.h"
#include "animation/render/run_folder.h"
#include "base/errors.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include <string>

using namespace k3::anim;
using nlohmann::json;

namespace {
RenderSettings flow_preset(const std::string& mode, const std::string& method) {
  const json preset = {{"width", 96}, {"height", 64}, {"frames", 9}, {"animation_mode", mode},
                       {"motion", {{"zoom", "0:(1.04)"}, {"angle", "0:(3)"}, {"translation_z", "0:(4)"}, {"rotation_3d_y", "0:(2)"}}},
                       {"generation", {{"cadence", 3}, {"noise", "0:(0.08)"}, {"color_coherence", "None"},
                                       {"optical_flow_cadence", method}, {"cadence_flow_factor", "0:(1.5)"}}},
                       {"seed", {{"seed", 3}, {"behavior", "random"}}},
                       {"output", {{"write_video", false}}}};
  return parse_render_settings(preset, "flow preset");
}
}  // namespace

TEST_CASE("optical-flow cadence moves the tweens along the flow and resumes mid-segment exactly", "[unit][render]") {
  auto backend = make_preview_backend();
  for (const std::string mode : {"2D", "3D"}) {
    k3::test::TempDir dir("cadence-flow");
    Render::start(flow_preset(mode, "None"), dir / "plain", "test").run(*backend);
    RunFolder plain = RunFolder::open(dir / "plain");
    for (const std::string method : {"DIS Medium", "DIS Fine", "Farneback"}) {
      std::string name = method;
      for (char& c : name) c = c == ' ' ? '_' : c;
      const std::string whole_dir = dir / (name + "-whole"), parts_dir = dir / (name + "-parts");
      Render::start(flow_preset(mode, method), whole_dir, "test").run(*backend);
      RunFolder whole = RunFolder::open(whole_dir);
      INFO(mode << " " << method);
      for (int i = 0; i < 3; ++i)  // the first segment has no previous diffused frame: no flow
        CHECK(k3::test::read_file(whole.frame_path(i)) == k3::test::read_file(plain.frame_path(i)));
      int moved = 0;
      for (int i = 3; i < 9; ++i) moved += k3::test::read_file(whole.frame_path(i)) != k3::test::read_file(plain.frame_path(i));
      CHECK(moved >= 4);
      RenderCallbacks stop_at_4;  // frame 4 is the second frame of the segment 3..5
      stop_at_4.on_progress = [](const RenderProgress& p) { return p.frame < 4; };
      CHECK_THROWS_AS(Render::start(flow_preset(mode, method), parts_dir, "test").run(*backend, stop_at_4), k3::Cancelled);
      Render::resume(parts_dir).run(*backend);
      RunFolder parts = RunFolder::open(parts_dir);
      for (int i = 0; i < 9; ++i) {
        INFO("frame " << i);
        CHECK(k3::test::read_file(whole.frame_path(i)) == k3::test::read_file(parts.frame_path(i)));
      }
    }
  }
}

TEST_CASE("a keyframe image starts a segment without flow, not with the previous segment's", "[unit][render]") {
  // Frame 4 (not a multiple of the cadence 3) starts afresh from an image: no previous diffused
  // frame to measure a flow from, so frames 4 and 5 are those of a render without flow cadence.
  auto backend = make_preview_backend();
  k3::test::TempDir dir("cadence-flow-keyframe");
  cv::Mat picture(64, 96, CV_8UC3);
  cv::randu(picture, 0, 255);
  const std::string image = dir / "key.png";
  REQUIRE(cv::imwrite(image, picture));
  RenderSettings with_flow = flow_preset("2D", "DIS Medium"), without = flow_preset("2D", "None");
  with_flow.keyframe_images[4] = image;
  without.keyframe_images[4] = image;
  Render::start(with_flow, dir / "flow", "test").run(*backend);
  Render::start(without, dir / "plain", "test").run(*backend);
  RunFolder flow = RunFolder::open(dir / "flow"), plain = RunFolder::open(dir / "plain");
  CHECK(k3::test::read_file(flow.frame_path(3)) != k3::test::read_file(plain.frame_path(3)));  // segment 3 had a flow
  for (int i : {4, 5}) {
    INFO("frame " << i);
    CHECK(k3::test::read_file(flow.frame_path(i)) == k3::test::read_file(plain.frame_path(i)));
  }
}

TEST_CASE("optical_flow_cadence takes Deforum's method names and says which", "[unit][render]") {
  CHECK(flow_preset("2D", "Farneback").generation.optical_flow_cadence == OpticalFlowCadence::Farneback);
  CHECK_THROWS_WITH(flow_preset("2D", "RAFT"), Catch::Contains("generation.optical_flow_cadence") &&
                                                   Catch::Contains("DIS Medium") && Catch::Contains("RAFT"));
}

TEST_CASE("optical_flow_cadence without tweens or warps says it has no effect", "[unit][render]") {
  RenderSettings s = flow_preset("2D", "DIS Medium");
  const auto params = evaluate_frame_params(s, 1, "test");
  for (const auto& w : render_warnings(s, params, 0)) CHECK(w.find("optical_flow_cadence") == std::string::npos);
  s.generation.cadence = 1;
  auto warnings = render_warnings(s, params, 0);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::StartsWith("generation.optical_flow_cadence DIS Medium: no effect with generation.cadence 1"));
  s.generation.cadence = 3;
  s.animation_mode = AnimationMode::None;
  warnings = render_warnings(s, params, 0);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("outside the 2D and 3D modes"));
}
