#pragma once
// One row per keyframe schedule of a preset: its JSON section and key, where its text lives in
// RenderSettings, the range each frame's value must keep, where the value goes in FrameParams,
// Deforum's name for it, and whether a story's motion preset may drive it. Parsing, validation,
// settings.json, frame evaluation, story motion and the Deforum import all read this table, so
// adding a knob is one row (plus its two struct members).
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace k3::anim {

struct ScheduleField {
  const char* section;  // "motion", "generation", "generation.anti_blur", "seed"
  const char* key;      // the key inside the section
  std::string& (*text)(RenderSettings&);
  double min_value, max_value;  // every frame's value (a value outside is a problem at that frame)
  void (*store)(FrameParams&, double);
  const char* deforum_key;  // the same schedule in a Deforum settings file; nullptr: converted by hand
  bool story_motion;        // story_motion.fields may name it
  // Evaluated only when this holds (seed.schedule: only with seed behaviour "schedule").
  bool (*active)(const RenderSettings&) = nullptr;

  std::string path() const { return std::string(section) + "." + key; }
  // The object of a preset `root` that holds this row's key (created when missing).
  nlohmann::json& section_in(nlohmann::json& root) const;
  const std::string& text_of(const RenderSettings& s) const { return text(const_cast<RenderSettings&>(s)); }
};

const std::vector<ScheduleField>& schedule_fields();
// The rows of one section, in table order.
std::vector<const ScheduleField*> schedule_fields_in(const std::string& section);
// The row a story's motion may drive by `key`, or nullptr.
const ScheduleField* story_motion_field(const std::string& key);

}  // namespace k3::anim
