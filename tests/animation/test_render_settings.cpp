// Preset parsing and validation: defaults, every problem at once with its JSON path, did-you-mean.
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"
#include "base/errors.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cctype>

using k3::anim::parse_render_settings;
using nlohmann::json;

namespace {
std::string error_of(const json& preset) {
  try {
    auto s = parse_render_settings(preset, "test.json");
    k3::anim::evaluate_frame_params(s, 1, "test.json");
  } catch (const k3::ConfigError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("an empty preset takes every default", "[unit][render]") {
  auto s = parse_render_settings(json::object(), "empty.json");
  CHECK(s.width == 512);
  CHECK(s.frames == 48);
  CHECK(s.animation_mode == k3::anim::AnimationMode::TwoD);
  CHECK(s.generation.denoise == "0:(0.35)");
  CHECK(s.generation.cadence == 1);
  CHECK(s.seed.behavior == k3::anim::SeedBehavior::Iter);
  auto round_trip = parse_render_settings(k3::anim::to_json(s), "settings.json");
  CHECK(k3::anim::to_json(round_trip) == k3::anim::to_json(s));
}

TEST_CASE("settings of a fixed set of spellings are enums: every spelling reads and writes back the same", "[unit][render]") {
  using namespace k3::anim;
  // Each setting: its JSON path, and the spellings of its enum.
  struct Setting {
    std::vector<std::string> path;
    const std::vector<std::string>& names;
  };
  const std::vector<Setting> settings = {
      {{"animation_mode"}, setting_names<AnimationMode>()},
      {{"seed", "behavior"}, setting_names<SeedBehavior>()},
      {{"motion", "depth_source"}, setting_names<DepthSource>()},
      {{"generation", "color_coherence"}, setting_names<ColorCoherence>()},
      {{"generation", "color_reference"}, setting_names<ColorReference>()},
      {{"zoom", "direction"}, setting_names<ZoomDirection>()},
      {{"story_motion", "mode"}, setting_names<StoryMotionMode>()},
      {{"story_motion", "transition"}, setting_names<StoryTransition>()},
      {{"interpolation"}, setting_names<k3::sched::Interpolation>()},
  };
  k3::test::TempDir dir("enum-settings");
  const std::string image = dir / "reference.png";  // what "Image" and "image" need
  cv::imwrite(image, cv::Mat(8, 8, CV_8UC3, cv::Scalar(40, 90, 160)));
  for (const auto& setting : settings) {
    json::json_pointer pointer;
    for (const auto& key : setting.path) pointer /= key;
    std::string list;
    for (const auto& name : setting.names) list += (list.empty() ? "" : ", ") + name;
    for (const auto& name : setting.names) {
      INFO(pointer.to_string() << " = " << name);
      json preset = {{"motion", {{"depth_path", "depth"}}},  // what depth images need
                     {"generation", {{"color_coherence_image", image}}},
                     {"story_motion", {{"fields", {{"angle", 1}}}}}};
      std::string upper = name;  // spellings are matched case-insensitively, stored as spelled
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      preset[pointer] = upper;
      json written = to_json(parse_render_settings(preset, "p.json"));
      CHECK(written[pointer] == name);
    }
    json bad = {{"story_motion", {{"fields", {{"angle", 1}}}}}};
    bad[pointer] = "sideways";
    CHECK_THROWS_WITH(parse_render_settings(bad, "p.json"),
                      Catch::Contains(setting.path.back() + ": expected one of " + list + ", got \"sideways\""));
  }
}

TEST_CASE("duration in seconds gives the frame count", "[unit][render]") {
  auto s = parse_render_settings(json{{"fps", 24}, {"duration", 2.5}}, "d.json");
  CHECK(s.frames == 60);
}

TEST_CASE("bare numbers are accepted as constant schedules", "[unit][render]") {
  auto s = parse_render_settings(json{{"generation", {{"denoise", 0.4}}}}, "n.json");
  auto params = k3::anim::evaluate_frame_params(s, 1, "n.json");
  CHECK(params[10].denoise == Approx(0.4));
}

TEST_CASE("every bad key is reported at once with its JSON path", "[unit][render]") {
  json preset = {{"width", "wide"},
                 {"heigth", 512},
                 {"fps", -3},
                 {"motion", {{"zoom", true}, {"angel", "0:(1)"}}},
                 {"generation", {{"cadence", 0}, {"color_coherence", "XYZ"}}},
                 {"seed", {{"behavior", "sometimes"}}}};
  std::string message = error_of(preset);
  INFO(message);
  CHECK_THAT(message, Catch::Contains("8 problems"));
  CHECK_THAT(message, Catch::Contains("width: expected an integer"));
  CHECK_THAT(message, Catch::Contains("heigth: unknown key (did you mean \"height\"?)"));
  CHECK_THAT(message, Catch::Contains("fps: expected a number in"));
  CHECK_THAT(message, Catch::Contains("motion.zoom: expected a keyframe schedule"));
  CHECK_THAT(message, Catch::Contains("motion.angel: unknown key (did you mean \"angle\"?)"));
  CHECK_THAT(message, Catch::Contains("generation.cadence: expected an integer in [1, 50], got 0"));
  CHECK_THAT(message, Catch::Contains("generation.color_coherence: expected one of None, RGB, HSV, LAB, Image"));
  CHECK_THAT(message, Catch::Contains("seed.behavior"));
}

TEST_CASE("broken schedules and out-of-range schedule values name their key path", "[unit][render]") {
  std::string message = error_of(json{{"motion", {{"zoom", "0:(1.0), 10:(1.0+sinn(t))"}}},
                                      {"generation", {{"denoise", "0:(1.5)"}}}});
  INFO(message);
  CHECK_THAT(message, Catch::Contains("2 problems"));
  CHECK_THAT(message, Catch::Contains("motion.zoom:"));
  CHECK_THAT(message, Catch::Contains("sinn"));
  CHECK_THAT(message, Catch::Contains("generation.denoise: expected values in [0"));
}

TEST_CASE("a missing init image is an error naming init_image", "[unit][render]") {
  std::string message = error_of(json{{"init_image", "/nonexistent/picture.png"}});
  CHECK_THAT(message, Catch::Contains("init_image: expected an existing image file"));
  CHECK_THAT(message, Catch::Contains("/nonexistent/picture.png"));
}

TEST_CASE("prompts accept text with --neg and prompt/negative objects", "[unit][render]") {
  json preset = {{"frames", 10},
                 {"negative_prompt", "blurry"},
                 {"prompts", {{"0", "a cat --neg dog"}, {"5", {{"prompt", "a house"}, {"negative", "tree"}}}}}};
  auto s = parse_render_settings(preset, "p.json");
  auto params = k3::anim::evaluate_frame_params(s, 1, "p.json");
  CHECK(params[0].prompt.prompt == "a cat");
  CHECK_THAT(params[0].prompt.negative, Catch::Contains("dog") && Catch::Contains("blurry"));
  CHECK(params[7].prompt.prompt == "a house");
  CHECK_THAT(params[7].prompt.negative, Catch::Contains("tree"));
}

TEST_CASE("the --set option overrides keys by dotted path", "[unit][render]") {
  json preset = {{"duration", 3}};
  k3::anim::apply_override(preset, "generation.cadence=3");
  k3::anim::apply_override(preset, "motion.zoom=0:(1.01)");
  k3::anim::apply_override(preset, "frames=9");
  auto s = parse_render_settings(preset, "o.json");
  CHECK(s.generation.cadence == 3);
  CHECK(s.motion.zoom == "0:(1.01)");
  CHECK(s.frames == 9);
  CHECK_THROWS_AS(k3::anim::apply_override(preset, "novalue"), k3::ConfigError);
}
