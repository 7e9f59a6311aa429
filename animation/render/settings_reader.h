#pragma once
// What a preset reads beyond base/json_reader.h: keyframe schedules, written as Deforum writes
// them (a string such as "0:(1.0), 10:(1.02)", or a bare number held constant).
#include "base/json_reader.h"

#include <string>

namespace k3::anim {

void read_schedule(JsonReader& reader, const std::string& key, std::string& value);

}  // namespace k3::anim
