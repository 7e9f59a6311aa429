#pragma once
// The part of a model report that checks weight files against an architecture (shared by the
// Kandinsky 3 components and the depth models): counts by dtype and the strict loader's findings.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace k3 {

// The module a config describes (uninitialised: no memory is touched), with the checkpoint aliases
// its loader accepts and the config's warnings.
struct Architecture {
  std::shared_ptr<torch::nn::Module> module;
  std::map<std::string, std::string> aliases;
  std::vector<std::string> warnings;
};

// The report of weight `files` against `arch`; throws WeightError naming `what` and `config_path`
// when they do not match. An architecture without a module is reported as not checked.
nlohmann::json weight_report(const std::vector<std::string>& files, const Architecture& arch, const std::string& what,
                             const std::string& class_name, const std::string& config_path);

}  // namespace k3
