#pragma once
// A diffusers model folder (model_index.json + one folder per component), as
// kandinsky-community/kandinsky-3 lays it out. No torch here.
// Follows diffusers pipeline_utils.py / modeling_utils.py file-name rules (variants, shard indexes).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace k3 {

class ModelFolder {
 public:
  // Reads `dir`/model_index.json. `variant` "" prefers plain weight files and falls back to the
  // ".fp16" variant when only it exists (the real kandinsky-3 repo has only fp16); a named variant
  // is preferred and plain files are the fallback. Throws FileError naming the file at fault.
  static ModelFolder open(const std::string& dir, const std::string& variant = "");

  const std::string& dir() const { return dir_; }
  const std::string& variant() const { return variant_; }
  // Component names (sorted) of model_index.json whose value is [library, class].
  std::vector<std::string> components() const;
  bool has_component(const std::string& component) const;
  // "Kandinsky3UNet", "T5EncoderModel", ... Throws FileError when absent.
  std::string class_name(const std::string& component) const;
  // The component's folder; throws FileError when it does not exist.
  std::string path(const std::string& component) const;
  // The file config() reads: component/config.json, or scheduler/scheduler_config.json.
  std::string config_path(const std::string& component) const;
  nlohmann::json config(const std::string& component) const;
  // The safetensors files of the component: one file, or every shard named by the index
  // (each checked to exist). Throws FileError listing what was looked for when none is found.
  std::vector<std::string> weight_files(const std::string& component) const;

 private:
  std::string dir_;
  std::string variant_;
  nlohmann::json index_;
};

// Reads a JSON file; throws FileError naming the file on a missing file or bad JSON.
nlohmann::json read_json_file(const std::string& path);

}  // namespace k3
