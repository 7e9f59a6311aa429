// Prompt blending on the model path with the tiny fixture model: composable prompts combined in
// the guidance step (weights 1 and 0 are the single prompt, byte for byte; a 0-to-1 ramp moves
// monotonically from one end to the other), keyframe prompts blended over the frames between
// them, and Deforum's Interpolation mode.
#include "animation/render/frame_backend.h"
#include "animation/render/render_loop.h"
#include "animation/render/run_folder.h"
#include "src/public/generator.h"
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>

#include <iostream>

using namespace k3::anim;
using nlohmann::json;

namespace {

RenderSettings blend_preset(const json& patch) {
  const auto side = k3::test::fixture::model_geometry().image_side;  // the tiny model's square
  json preset = {{"width", side},
                 {"height", side},
                 {"frames", 3},
                 {"seed", {{"seed", 21}, {"behavior", "fixed"}}},
                 {"motion", {{"zoom", "0:(1.03)"}}},
                 {"generation", {{"steps", "0:(4)"}, {"denoise", "0:(0.6)"}, {"guidance", "0:(4)"}, {"color_coherence", "None"}}},
                 {"model", {{"dir", k3::test::fixtures_root() + "/k3-tiny"}}},
                 {"output", {{"write_video", false}}}};
  preset.merge_patch(patch);
  return parse_render_settings(preset, "blend preset");
}

std::vector<cv::Mat> render_frames(const RenderSettings& s, const std::string& run_dir) {
  k3::GeneratorOptions options;
  options.model_dir = s.model.dir;
  auto backend = make_kandinsky_backend(options);
  Render::start(s, run_dir, "blend preset").run(*backend);
  RunFolder folder = RunFolder::open(run_dir);
  std::vector<cv::Mat> frames;
  for (int i = 0; i < s.frames; ++i) frames.push_back(folder.read_frame(i));
  return frames;
}

double distance(const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_L2) / std::sqrt(double(a.total() * 3)); }

bool identical(const cv::Mat& a, const cv::Mat& b) { return cv::norm(a, b, cv::NORM_INF) == 0; }

}  // namespace

TEST_CASE("composable weights 1 and 0 give the single prompt's frames byte for byte", "[unit][render][model]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("blend-identity");
  auto single = render_frames(blend_preset({{"prompts", {{"0", "a red fox in the snow"}}}}), dir / "single");
  auto composed = render_frames(blend_preset({{"prompts", {{"0", "a red fox in the snow :1 AND a castle on a hill :0"}}}}), dir / "composed");
  auto swapped = render_frames(blend_preset({{"prompts", {{"0", "a castle on a hill :`0*t` AND a red fox in the snow"}}}}), dir / "swapped");
  auto both = render_frames(blend_preset({{"prompts", {{"0", "a red fox in the snow :0.5 AND a castle on a hill :0.5"}}}}), dir / "both");
  for (int i = 0; i < 3; ++i) {
    INFO("frame " << i);
    CHECK(identical(single[i], composed[i]));
    CHECK(identical(single[i], swapped[i]));
    CHECK_FALSE(identical(single[i], both[i]));  // a real blend is not the single prompt
  }
}

TEST_CASE("a 0-to-1 composable ramp moves monotonically from one prompt to the other (Interpolation mode)", "[unit][render][model]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("blend-ramp");
  const int n = 6;
  auto ramp = render_frames(blend_preset({{"animation_mode", "Interpolation"},
                                          {"frames", n},
                                          {"prompts", {{"0", "a red fox in the snow :`1-t/max_f` AND a castle on a hill :`t/max_f`"}}}}),
                            dir / "ramp");
  auto fox = render_frames(blend_preset({{"animation_mode", "Interpolation"}, {"frames", 1}, {"prompts", {{"0", "a red fox in the snow"}}}}),
                           dir / "fox");
  auto castle = render_frames(blend_preset({{"animation_mode", "Interpolation"}, {"frames", 1}, {"prompts", {{"0", "a castle on a hill"}}}}),
                              dir / "castle");
  CHECK(identical(ramp.front(), fox[0]));  // weights 1 and 0 at the ends
  CHECK(identical(ramp.back(), castle[0]));
  for (int i = 0; i < n; ++i)
    std::cout << "ramp frame " << i << ": RMS distance to the first end " << distance(ramp[i], ramp.front()) << ", to the last "
              << distance(ramp[i], ramp.back()) << " levels\n";
  for (int i = 1; i < n; ++i) {
    INFO("frame " << i);
    CHECK(distance(ramp[i], ramp.back()) < distance(ramp[i - 1], ramp.back()));
    CHECK(distance(ramp[i], ramp.front()) > distance(ramp[i - 1], ramp.front()));
  }
}

TEST_CASE("keyframe prompts blend over the frames between them, linearly or by a schedule", "[unit][render][model]") {
  K3_REQUIRE_FIXTURES();
  k3::test::TempDir dir("blend-keyframes");
  json prompts = {{"0", "a red fox in the snow"}, {"4", "a castle on a hill"}};
  auto linear = render_frames(blend_preset({{"animation_mode", "Interpolation"}, {"frames", 5}, {"prompts", prompts}}), dir / "linear");
  for (int i = 1; i < 5; ++i) CHECK(distance(linear[i], linear[4]) < distance(linear[i - 1], linear[4]));
  // A schedule for the weight: held at 0 until frame 3, so frames 1-2 are the first prompt's.
  auto held = render_frames(blend_preset({{"animation_mode", "Interpolation"},
                                          {"frames", 5},
                                          {"prompts", prompts},
                                          {"prompt_blend_schedule", "0:(0), 2:(0), 3:(0.5), 4:(1)"}}),
                            dir / "held");
  CHECK(identical(held[1], held[0]));
  CHECK(identical(held[2], held[0]));
  CHECK(identical(held[3], linear[2]));  // weight 0.5 as the linear blend's middle frame
  // The 2D loop blends too (prompt_blend_frames), frames diffused from the warped previous one.
  auto loop = render_frames(blend_preset({{"frames", 5}, {"prompts", prompts}, {"prompt_blend_frames", -1}}), dir / "loop");
  CHECK(loop.size() == 5);
}
