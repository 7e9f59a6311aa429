#pragma once
// Converts a Deforum settings file (the A1111 extension's flat JSON, spec deforum.md 1.19, or
// deforum-kandinsky's argument names) into a k3anim preset (schema version 1). Every key is
// either mapped or listed in the warnings: nothing is dropped silently.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace k3::anim {

enum class DeforumFlavor {
  Auto,            // deforum-kandinsky when its own keys are present (prior_seed, scale, near_plane, ...)
  A1111,           // strength = fraction kept: denoise = 1 - strength; cfg c -> guidance c - 1
  DeforumKandinsky // strength = diffusers strength = denoise
};
DeforumFlavor parse_deforum_flavor(const std::string& name);  // auto, a1111, dk

struct ImportWarning {
  std::string key;     // the settings file's key
  std::string reason;  // why it is not (fully) supported
};

struct DeforumImport {
  nlohmann::json preset;               // a complete schema-1 preset
  std::vector<ImportWarning> warnings; // one per unsupported key, sorted by key
  DeforumFlavor flavor = DeforumFlavor::A1111;  // the flavour used
};

// `source` names the file in errors. Throws k3::ConfigError when a supported key has a value
// of the wrong type (naming the key).
DeforumImport import_deforum_settings(const nlohmann::json& settings, const std::string& source,
                                      DeforumFlavor flavor = DeforumFlavor::Auto);
DeforumImport import_deforum_file(const std::string& path, DeforumFlavor flavor = DeforumFlavor::Auto);

// Deforum strength schedule -> denoise schedule: every keyframe value v becomes 1 - v
// (numbers computed, expressions wrapped as "1-(v)"). Keys and order are kept.
std::string strength_to_denoise_schedule(const std::string& strength_schedule);

}  // namespace k3::anim
