// Follows deforum-kandinsky deforum_kandinsky/helpers/script.py (Script: per-segment keyframe
// dicts, linear and step transitions) and deforum.py (prompt start frames, max_frames).
#include "animation/render/story.h"

#include "animation/render/schedule_fields.h"

#include "base/json_reader.h"
#include "base/errors.h"

#include <cmath>
#include <map>
#include <regex>
#include <sstream>

namespace k3::anim {

using nlohmann::json;

namespace {

std::string number_text(double v) {
  std::ostringstream out;
  out.precision(10);
  out << v;
  return out.str();
}

// A story_motion value at acceleration `a`: numbers are scaled, expressions get `a` bound.
std::string field_value(const json& value, double a) {
  if (value.is_number()) return number_text(value.get<double>() * a);
  static const std::regex acceleration(R"(\ba\b)");
  return std::regex_replace(value.get<std::string>(), acceleration, "(" + number_text(a) + ")");
}

std::string schedule_from_keys(const std::map<int, std::string>& keys) {
  std::string out;
  if (!keys.count(0)) out = "0:(0)";
  for (const auto& [frame, value] : keys) out += (out.empty() ? "" : ", ") + std::to_string(frame) + ":(" + value + ")";
  return out;
}


}  // namespace

RenderSettings expand_story(const RenderSettings& settings, const MotionPresetLoader& load_motion) {
  RenderSettings out = settings;
  if (settings.story.empty()) return out;
  std::vector<JsonProblem> issues;
  std::map<std::string, std::map<int, std::string>> keys;  // field -> frame -> value
  json prompts = json::object();
  bool all_2d = true;
  bool any_flip = false;
  double elapsed = 0;
  for (std::size_t i = 0; i < settings.story.size(); ++i) {
    const auto& segment = settings.story[i];
    std::string path = "story[" + std::to_string(i) + "]";
    int start = static_cast<int>(std::lround(elapsed * settings.fps));
    elapsed += segment.duration;
    int end = std::max(start + 1, static_cast<int>(std::lround(elapsed * settings.fps)));
    if (!segment.prompt.empty())
      prompts[std::to_string(start)] = segment.prompt + (segment.negative.empty() ? "" : " --neg " + segment.negative);
    if (!segment.init_image.empty()) {
      if (start == 0) out.init_image = segment.init_image;
      else out.keyframe_images[start] = segment.init_image;  // the segment starts from its image
    }

    RenderSettings motion;
    try {
      motion = load_motion(segment.motion);
    } catch (const Error& e) {
      issues.push_back({path + ".motion", e.what()});
      continue;
    }
    if (motion.story_motion.fields.empty()) {
      issues.push_back({path + ".motion", "expected a motion preset with a story_motion, got \"" + segment.motion + "\" which has none"});
      continue;
    }
    all_2d = all_2d && motion.story_motion.mode == StoryMotionMode::TwoD;
    bool step = motion.story_motion.transition == StoryTransition::Step;
    for (auto it = motion.story_motion.fields.begin(); it != motion.story_motion.fields.end(); ++it) {
      std::string value = field_value(it.value(), segment.acceleration);
      auto& field = keys[it.key()];
      if (it.key().rfind("perspective_flip_", 0) == 0) any_flip = true;
      if (step) {
        field[start] = "0";
        field[start + 1] = value;
        field[std::max(start + 1, end - 1)] = value;
        field[end] = "0";
      } else {
        field[start] = value;
        field[end] = "0";
      }
    }
  }
  if (prompts.empty()) prompts["0"] = "";
  if (!issues.empty()) throw_json_problems("story", issues);
  out.prompts = prompts;
  out.frames = std::max(1, static_cast<int>(std::lround(elapsed * settings.fps)));
  out.animation_mode = all_2d ? AnimationMode::TwoD : AnimationMode::ThreeD;
  if (any_flip) out.motion.enable_perspective_flip = true;
  for (const auto& [name, frames] : keys)
    if (const ScheduleField* field = story_motion_field(name)) field->text(out) = schedule_from_keys(frames);
  out.story.clear();
  return out;
}

}  // namespace k3::anim
