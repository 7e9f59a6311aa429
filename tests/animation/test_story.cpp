// Story mode: segments -> prompts and motion keyframes (deforum-kandinsky helpers/script.py).
#include "animation/render/frame_params.h"
#include "animation/render/story.h"
#include "base/errors.h"

#include <catch2/catch.hpp>

using namespace k3::anim;
using nlohmann::json;

namespace {
RenderSettings motion_preset(const std::string& name) {
  json fields = name == "spin" ? json{{"rotation_3d_z", 2}} : json{{"translation_x", 1}};
  if (name == "unknown") throw k3::ConfigError("unknown preset \"unknown\"");
  return parse_render_settings(
      json{{"story_motion", {{"mode", "3D"}, {"transition", name == "spin" ? "step" : "linear"}, {"fields", fields}}}}, name);
}
}  // namespace

TEST_CASE("a story becomes prompts, frames and ramped motion schedules", "[unit][render]") {
  json preset = {{"fps", 10},
                 {"story",
                  {{{"prompt", "winter"}, {"duration", 1.0}, {"motion", "right"}, {"acceleration", 2.0}},
                   {{"prompt", "spring"}, {"negative", "rain"}, {"duration", 1.5}, {"motion", "spin"}}}}};
  auto expanded = expand_story(parse_render_settings(preset, "story.json"), motion_preset);
  CHECK(expanded.story.empty());
  CHECK(expanded.frames == 25);
  CHECK(expanded.animation_mode == k3::anim::AnimationMode::ThreeD);
  CHECK(expanded.prompts["0"] == "winter");
  CHECK(expanded.prompts["10"] == "spring --neg rain");
  CHECK(expanded.motion.translation_x == "0:(2), 10:(0)");
  CHECK(expanded.motion.rotation_3d_z == "0:(0), 10:(0), 11:(2), 24:(2), 25:(0)");
  auto params = evaluate_frame_params(expanded, 1, "story");
  CHECK(params[0].translation_x == Approx(2.0));
  CHECK(params[5].translation_x == Approx(1.0));
  CHECK(params[12].rotation_3d_z == Approx(2.0));
  CHECK(params[12].prompt.prompt == "spring");
}

TEST_CASE("a story naming an unknown motion reports the segment's path", "[unit][render]") {
  json preset = {{"story", {{{"prompt", "x"}, {"motion", "unknown"}}}}};
  try {
    expand_story(parse_render_settings(preset, "story.json"), motion_preset);
    FAIL("no error");
  } catch (const k3::ConfigError& e) {
    CHECK_THAT(std::string(e.what()), Catch::Contains("story[0].motion"));
  }
}
