#include "animation/render/presets.h"

#include "base/json_reader.h"
#include "base/text.h"
#include "base/errors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

namespace k3::anim {

namespace fs = std::filesystem;

std::vector<std::string> preset_search_path() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("K3_PRESETS"); env && *env) {
    std::stringstream list(env);
    std::string dir;
    while (std::getline(list, dir, ':'))
      if (!dir.empty()) dirs.push_back(dir);
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path().parent_path() / "share" / "k3anim" / "presets").string());
#ifdef K3_SOURCE_PRESETS_DIR
  dirs.push_back(K3_SOURCE_PRESETS_DIR);
#endif
  return dirs;
}

std::vector<PresetInfo> list_presets() {
  std::map<std::string, PresetInfo> found;
  for (const auto& dir : preset_search_path()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() != ".json") continue;
      std::string name = entry.path().stem().string();
      if (found.count(name)) continue;
      PresetInfo info{name, entry.path().string(), ""};
      std::ifstream in(info.path);
      try {
        auto j = nlohmann::json::parse(in);
        if (j.contains("description") && j["description"].is_string()) info.description = j["description"];
      } catch (const nlohmann::json::exception&) {
        info.description = "(not valid JSON)";
      }
      found[name] = info;
    }
  }
  std::vector<PresetInfo> out;
  for (auto& [name, info] : found) out.push_back(info);
  return out;
}

std::string find_preset(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& info : list_presets()) {
    if (info.name == name) return info.path;
    names.push_back(info.name);
  }
  std::string message = "unknown preset \"" + name + "\"";
  std::string guess = did_you_mean(name, names);
  if (!guess.empty()) message += " (did you mean \"" + guess + "\"?)";
  message += "; `k3anim presets` lists them";
  throw ConfigError(message);
}

std::string resolve_preset_argument(const std::string& name_or_path) {
  std::error_code ec;
  if (fs::is_regular_file(name_or_path, ec)) return name_or_path;
  bool looks_like_path = name_or_path.find('/') != std::string::npos ||
                         fs::path(name_or_path).extension() == ".json";
  if (looks_like_path) throw FileError("cannot open preset " + name_or_path + " (no such file)");
  return find_preset(name_or_path);
}

}  // namespace k3::anim
