// libFuzzer target: a preset file as `k3anim render` reads it (scripts/fuzz.sh 300 fuzz_preset).
// Input: the file's bytes. Parsed with the file reader's limits, validated, its story expanded,
// its schedules evaluated (up to kFrames frames, to keep each run short). Anything but a
// k3::Error escaping is a bug, and so is a valid preset whose settings.json does not parse back
// to the same settings.
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"
#include "animation/render/story.h"
#include "base/bounded_json.h"
#include "base/errors.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {
constexpr int kFrames = 300;

// Story motions by name, as the built-in presets would give them (no files read here).
k3::anim::RenderSettings load_motion(const std::string& name) {
  if (name != "zoomin" && name != "left" && name != "right" && name != "live")
    throw k3::ConfigError("story motion: expected zoomin, left, right or live, got " + name);
  const nlohmann::json motion = {
      {"mode", name == "zoomin" ? "2D" : "3D"},
      {"transition", "linear"},
      {"fields", {{"translation_x", name == "left" ? "-2*a" : "a*sin(3.14159*t/90)*0.05"}, {"angle", 0.5}}}};
  return k3::anim::parse_render_settings({{"story_motion", motion}}, name);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace k3::anim;
  try {
    const nlohmann::json preset = k3::parse_bounded_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    const RenderSettings settings = parse_render_settings(preset, "fuzz");
    const nlohmann::json written = to_json(settings);
    if (to_json(parse_render_settings(written, "settings.json")) != written) std::abort();
    const RenderSettings expanded = expand_story(settings, load_motion);
    if (expanded.frames <= kFrames) evaluate_frame_params(expanded, expanded.seed.seed, "fuzz");
  } catch (const k3::Error& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
