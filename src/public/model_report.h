#pragma once
// What a Kandinsky 3 model folder holds, read from safetensors headers and config files only (no
// tensor data is read): each component's class, dtypes, tensor and parameter counts, and every
// missing, unexpected, mis-shaped or wrongly typed tensor against the architecture its config
// describes. `k3anim inspect` prints it; a problem in one component does not hide the others.
#include <nlohmann/json.hpp>

#include <exception>
#include <string>
#include <vector>

namespace k3 {

struct ModelReport {
  // component -> {"class", "files", "dtypes", "tensors", "parameters", "missing", ...}, or
  // {"class", "error"} for a component that could not be checked.
  nlohmann::json components = nlohmann::json::object();
  std::vector<std::string> order;  // the components in the order they were checked
  std::exception_ptr first_error;  // the first problem found, for the caller to rethrow
};

// `variant` prefers weight files of that variant (e.g. "fp16"); empty: plain files, else fp16.
ModelReport inspect_model_folder(const std::string& dir, const std::string& variant);

}  // namespace k3
