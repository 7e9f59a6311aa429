// Keyframe schedules in presets (animation/render/settings_reader.h).
#include "animation/render/settings_reader.h"

namespace k3::anim {

void read_schedule(JsonReader& reader, const std::string& key, std::string& value) {
  const nlohmann::json* v = reader.find(key);
  if (!v) return;
  // Deforum files sometimes hold bare numbers (sd-webui-deforum#670): accept them as constants.
  if (v->is_number()) value = "0:(" + v->dump() + ")";
  else if (v->is_string()) value = v->get<std::string>();
  else reader.problem(key, "expected a keyframe schedule string such as \"0:(1.0)\", got " + json_value_description(*v));
}

}  // namespace k3::anim
