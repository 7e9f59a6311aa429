#include "tests/core/core_golden_support.h"

#include "src/io/model_folder.h"
#include "src/io/safetensors.h"
#include "src/io/weights.h"
#include "tests/core/golden.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace k3::test::core {

std::map<std::string, torch::Tensor> fixture_tensors(const std::string& path) {
  auto store = k3::WeightStore::open_files({path});
  std::map<std::string, torch::Tensor> out;
  for (const auto& name : store.names()) {
    const auto& record = store.record(name);
    auto type = k3::dtype_is_floating(record.dtype) ? torch::kFloat : torch::kLong;
    out[name] = store.tensor(name, type, torch::kCPU).clone();
  }
  return out;
}

KeyShapes read_key_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  KeyShapes out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    if (tab == std::string::npos) throw std::runtime_error("bad key line: " + line);
    std::vector<int64_t> shape;
    std::string dims = line.substr(tab + 1);
    for (char& ch : dims)
      if (ch == '[' || ch == ']' || ch == ',') ch = ' ';
    std::istringstream ss(dims);
    int64_t d;
    while (ss >> d) shape.push_back(d);
    out.emplace_back(line.substr(0, tab), shape);
  }
  return out;
}

KeyShapes parameter_shapes(const torch::nn::Module& module) {
  KeyShapes out;
  for (const auto& item : module.named_parameters(true)) out.emplace_back(item.key(), item.value().sizes().vec());
  return out;
}

std::string describe_key_differences(const KeyShapes& expected, const KeyShapes& got) {
  std::map<std::string, std::vector<int64_t>> e(expected.begin(), expected.end()), g(got.begin(), got.end());
  std::ostringstream out;
  int shown = 0;
  for (const auto& kv : e) {
    if (shown >= 20) break;
    auto it = g.find(kv.first);
    if (it == g.end()) out << "missing " << kv.first << "\n", ++shown;
    else if (it->second != kv.second)
      out << "shape " << kv.first << ": expected " << c10::IntArrayRef(kv.second) << ", got "
          << c10::IntArrayRef(it->second) << "\n",
          ++shown;
  }
  for (const auto& kv : g) {
    if (shown >= 40) break;
    if (!e.count(kv.first)) out << "unexpected " << kv.first << "\n", ++shown;
  }
  return out.str();
}

KeyShapes sorted(KeyShapes keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

void load_component(torch::nn::Module& module, const std::string& model_dir, const std::string& component) {
  auto folder = k3::ModelFolder::open(model_dir);
  auto store = k3::WeightStore::open_files(folder.weight_files(component));
  k3::load_weights_strict(module, store, component, torch::kFloat, torch::kCPU);
}

}  // namespace k3::test::core
