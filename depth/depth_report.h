#pragma once
// What a depth model folder (Hugging Face layout: config.json, preprocessor_config.json, weights)
// holds, from its configs and safetensors headers only: the class, the processor's settings and
// the weights checked against the architecture (the depth part of `k3anim inspect`).
#include <nlohmann/json.hpp>

#include <string>

namespace k3::depth {

// True when `dir` holds a config.json whose model_type is a depth model this library builds.
bool is_depth_model_folder(const std::string& dir);

// Throws WeightError / ConfigError naming the file at fault when the folder does not check out.
nlohmann::json inspect_depth_folder(const std::string& dir);

}  // namespace k3::depth
