// Follows diffusers' variant naming (`_add_variant`: "model.fp16.safetensors",
// "model.safetensors.index.fp16.json") and transformers' sharded index format (weight_map).
#include "src/io/model_folder.h"

#include "base/bounded_json.h"
#include "base/errors.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace k3 {

namespace {
bool is_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}
bool is_dir(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// "model.safetensors" + "fp16" -> "model.fp16.safetensors";
// "model.safetensors.index.json" + "fp16" -> "model.safetensors.index.fp16.json".
std::string add_variant(const std::string& name, const std::string& variant) {
  if (variant.empty()) return name;
  auto dot = name.rfind('.');
  return name.substr(0, dot) + "." + variant + name.substr(dot);
}

std::vector<std::string> shards_of_index(const std::string& index_path, const std::string& component_dir) {
  const auto index = read_json_file(index_path);
  auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object() || map->empty())
    throw FileError(index_path + ": expected a non-empty object 'weight_map', got " +
                    (map == index.end() ? std::string("none") : map->dump().substr(0, 80)));
  std::set<std::string> shards;
  for (auto it = map->begin(); it != map->end(); ++it) {
    if (!it.value().is_string())
      throw FileError(index_path + ": weight_map['" + it.key() + "']: expected a file name, got " + it.value().dump());
    shards.insert(it.value().get<std::string>());
  }
  std::vector<std::string> files;
  for (const auto& shard : shards) {
    if (shard.find('/') != std::string::npos)
      throw FileError(index_path + ": expected shard file names inside the folder, got '" + shard + "'");
    const std::string path = component_dir + "/" + shard;
    if (!is_file(path)) throw FileError(path + ": expected the shard named by " + index_path + ", got no such file");
    files.push_back(path);
  }
  return files;
}
}  // namespace

nlohmann::json read_json_file(const std::string& path) {
  if (!std::ifstream(path)) throw FileError(path + ": expected a readable JSON file, got none");
  return read_bounded_json_file(path);
}

ModelFolder ModelFolder::open(const std::string& dir, const std::string& variant) {
  if (!is_dir(dir)) throw FileError(dir + ": expected a model folder, got no such directory");
  ModelFolder folder;
  folder.dir_ = dir;
  while (folder.dir_.size() > 1 && folder.dir_.back() == '/') folder.dir_.pop_back();
  folder.variant_ = variant;
  const std::string index_path = folder.dir_ + "/model_index.json";
  folder.index_ = read_json_file(index_path);
  if (!folder.index_.is_object())
    throw FileError(index_path + ": expected a JSON object, got " + std::string(folder.index_.type_name()));
  return folder;
}

std::vector<std::string> ModelFolder::components() const {
  std::vector<std::string> out;
  for (auto it = index_.begin(); it != index_.end(); ++it) {
    const auto& value = it.value();
    if (it.key().empty() || it.key()[0] == '_') continue;
    if (value.is_array() && value.size() == 2 && value[1].is_string()) out.push_back(it.key());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool ModelFolder::has_component(const std::string& component) const {
  auto list = components();
  return std::find(list.begin(), list.end(), component) != list.end();
}

std::string ModelFolder::class_name(const std::string& component) const {
  if (!has_component(component))
    throw FileError(dir_ + "/model_index.json: expected a component '" + component + "' ([library, class]), got none");
  return index_[component][1].get<std::string>();
}

std::string ModelFolder::path(const std::string& component) const {
  const std::string path = dir_ + "/" + component;
  if (!is_dir(path)) throw FileError(path + ": expected the folder of component '" + component + "', got no such directory");
  return path;
}

std::string ModelFolder::config_path(const std::string& component) const {
  const std::string base = path(component);
  for (const char* name : {"config.json", "scheduler_config.json"})
    if (is_file(base + "/" + name)) return base + "/" + name;
  throw FileError(base + "/config.json: expected the config of component '" + component + "', got no such file");
}

nlohmann::json ModelFolder::config(const std::string& component) const {
  const std::string file = config_path(component);
  auto json = read_json_file(file);
  if (!json.is_object()) throw FileError(file + ": expected a JSON object, got " + std::string(json.type_name()));
  return json;
}

std::vector<std::string> ModelFolder::weight_files(const std::string& component) const {
  const std::string base = path(component);
  // Variant order: the requested one first, then the other choice (plain <-> fp16).
  std::vector<std::string> variants;
  if (variant_.empty()) variants = {"", "fp16"};
  else variants = {variant_, ""};
  std::vector<std::string> looked_for;
  for (const auto& variant : variants) {
    for (const char* stem : {"diffusion_pytorch_model", "model"}) {
      const std::string single = base + "/" + add_variant(std::string(stem) + ".safetensors", variant);
      if (is_file(single)) return {single};
      looked_for.push_back(single);
      const std::string index = base + "/" + add_variant(std::string(stem) + ".safetensors.index.json", variant);
      if (is_file(index)) return shards_of_index(index, base);
      looked_for.push_back(index);
    }
  }
  std::string list;
  for (const auto& path : looked_for) list += (list.empty() ? "" : ", ") + path.substr(base.size() + 1);
  throw FileError(base + ": expected safetensors weights of component '" + component + "' (" + list + "), got none");
}

}  // namespace k3
