#pragma once
// Built-in presets (presets/*.json): where they are found and how they are loaded by name.
// Search order: $K3_PRESETS (folders separated by ':'), <executable>/../share/k3anim/presets,
// then the source tree's presets/ (compile definition K3_SOURCE_PRESETS_DIR).
#include "animation/render/render_settings.h"

#include <string>
#include <vector>

namespace k3::anim {

struct PresetInfo {
  std::string name;         // file name without .json
  std::string path;
  std::string description;  // the preset's "description"
};

std::vector<std::string> preset_search_path();
// Every preset found, sorted by name (an earlier folder hides a later one's same name).
std::vector<PresetInfo> list_presets();
// The file of a built-in preset. Throws k3::ConfigError with a did-you-mean when unknown.
std::string find_preset(const std::string& name);
// A path to a .json file, or the name of a built-in preset.
std::string resolve_preset_argument(const std::string& name_or_path);

}  // namespace k3::anim
