#pragma once
// Helpers of the UNet / MoVQ / pipeline golden tests: fixture tensors, errors, key lists.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace k3::test::core {

// Every tensor of a safetensors file, as float32/int64 CPU tensors (copies).
std::map<std::string, torch::Tensor> fixture_tensors(const std::string& path);

using KeyShapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;
// "name<TAB>[d0, d1]" lines; '#' lines are comments.
KeyShapes read_key_list(const std::string& path);
KeyShapes parameter_shapes(const torch::nn::Module& module);
// Empty when equal as sets; else the first differences, one per line.
std::string describe_key_differences(const KeyShapes& expected, const KeyShapes& got);

KeyShapes sorted(KeyShapes keys);

// Loads `component` of the model folder `model_dir` into `module` with the strict loader (fp32, CPU).
void load_component(torch::nn::Module& module, const std::string& model_dir, const std::string& component);

}  // namespace k3::test::core
