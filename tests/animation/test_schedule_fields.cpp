// The schedule table (animation/render/schedule_fields.h) drives every consumer: for each row, a
// preset value reaches the settings, settings.json and the frame values; where Deforum has a name
// for it, the Deforum import maps it; story motion exposes exactly the rows marked for it.
#include "animation/render/deforum_import.h"
#include "animation/render/frame_params.h"
#include "animation/render/render_settings.h"
#include "animation/render/schedule_fields.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace k3::anim;
using nlohmann::json;

namespace {

// A value inside the row's range that no default has.
double probe_value(const ScheduleField& field) { return std::clamp(7.0, field.min_value, field.max_value); }

json preset_with(const ScheduleField* field, const std::string& text) {
  json preset = {{"frames", 3}, {"seed", {{"behavior", "schedule"}, {"seed", 5}}}};
  if (field) field->section_in(preset)[field->key] = text;
  return preset;
}

std::vector<double> numbers(const FrameParams& f) {
  return {f.angle, f.zoom, f.translation_x, f.translation_y, f.translation_z, f.transform_center_x, f.transform_center_y,
          f.rotation_3d_x, f.rotation_3d_y, f.rotation_3d_z, f.flip_theta, f.flip_phi, f.flip_gamma, f.flip_fv, f.fov,
          f.near, f.far, f.denoise, f.guidance, static_cast<double>(f.steps), f.noise, f.contrast,
          static_cast<double>(f.blur_kernel), f.blur_sigma, f.blur_amount, f.blur_threshold, f.seed_schedule,
          f.cadence_flow_factor};
}

}  // namespace

TEST_CASE("every schedule row reaches settings, settings.json and the frame values", "[unit][render]") {
  const auto base = evaluate_frame_params(parse_render_settings(preset_with(nullptr, ""), "base.json"), 5, "base.json");
  for (const auto& field : schedule_fields()) {
    INFO(field.path());
    const std::string text = "0:(" + std::to_string(probe_value(field)) + ")";
    const RenderSettings s = parse_render_settings(preset_with(&field, text), "probe.json");
    CHECK(field.text_of(s) == text);
    json written = to_json(s);
    CHECK(field.section_in(written).at(field.key) == text);
    FrameParams expected = base.back();
    field.store(expected, probe_value(field));
    CHECK(numbers(evaluate_frame_params(s, 5, "probe.json").back()) == numbers(expected));
    CHECK(numbers(expected) != numbers(base.back()));  // the probe is no default
  }
}

TEST_CASE("the Deforum import maps every row Deforum names, story motion the marked rows", "[unit][render]") {
  json deforum = {{"max_frames", 3}};
  for (const auto& field : schedule_fields())
    if (field.deforum_key) deforum[field.deforum_key] = "0: (" + std::to_string(probe_value(field)) + ")";
  const json preset = import_deforum_settings(deforum, "deforum.txt", DeforumFlavor::A1111).preset;
  int mapped = 0;
  for (const auto& field : schedule_fields()) {
    if (!field.deforum_key) continue;
    INFO(field.path() << " from " << field.deforum_key);
    json copy = preset;
    CHECK(field.section_in(copy).value(field.key, std::string()).find(std::to_string(probe_value(field))) != std::string::npos);
    ++mapped;
  }
  CHECK(mapped >= 20);
  std::vector<std::string> marked;
  for (const auto& field : schedule_fields())
    if (field.story_motion) marked.push_back(field.key);
  CHECK(story_motion_field_names() == marked);
  for (const auto& name : marked) CHECK(story_motion_field(name) != nullptr);
  CHECK(story_motion_field("zoom") == nullptr);  // 2D zoom is not a story motion field
}
