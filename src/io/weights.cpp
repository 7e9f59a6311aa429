// Strict loading by exact names, as transformers/diffusers load_state_dict(strict=True) checks it.
#include "src/io/weights.h"

#include "base/errors.h"

#include <algorithm>
#include <set>
#include <cstring>

namespace k3 {

torch::ScalarType to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::F64: return torch::kFloat64;
    case DType::F32: return torch::kFloat32;
    case DType::F16: return torch::kFloat16;
    case DType::BF16: return torch::kBFloat16;
    case DType::I64: return torch::kInt64;
    case DType::I32: return torch::kInt32;
    case DType::I16: return torch::kInt16;
    case DType::I8: return torch::kInt8;
    case DType::U8: return torch::kUInt8;
    case DType::BOOL: return torch::kBool;
  }
  throw FileError(std::string("expected a dtype torch knows, got ") + dtype_name(dtype));
}

DType to_dtype(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat64: return DType::F64;
    case torch::kFloat32: return DType::F32;
    case torch::kFloat16: return DType::F16;
    case torch::kBFloat16: return DType::BF16;
    case torch::kInt64: return DType::I64;
    case torch::kInt32: return DType::I32;
    case torch::kInt16: return DType::I16;
    case torch::kInt8: return DType::I8;
    case torch::kUInt8: return DType::U8;
    case torch::kBool: return DType::BOOL;
    default: break;
  }
  throw FileError(std::string("expected a dtype safetensors can store, got ") + c10::toString(type));
}

WeightStore WeightStore::open_files(const std::vector<std::string>& files) {
  WeightStore store;
  for (const auto& path : files) {
    auto file = SafetensorsFile::open(path);
    for (const auto& [name, record] : file->tensors()) {
      auto [it, inserted] = store.records_.emplace(name, &record);
      if (!inserted)
        throw FileError(path + ": tensor '" + name + "': expected each tensor in one file only, got it also in " +
                        it->second->file);
      store.owner_[name] = file;
    }
    store.handles_.push_back(file);
    store.files_.push_back(path);
  }
  return store;
}

bool WeightStore::contains(const std::string& name) const { return records_.count(name) != 0; }

std::vector<std::string> WeightStore::names() const {
  std::vector<std::string> out;
  out.reserve(records_.size());
  for (const auto& entry : records_) out.push_back(entry.first);
  return out;
}

const TensorRecord& WeightStore::record(const std::string& name) const {
  auto it = records_.find(name);
  if (it == records_.end()) throw WeightError(describe_files() + ": expected a tensor '" + name + "', got none");
  return *it->second;
}

std::string WeightStore::describe_files() const {
  if (files_.empty()) return "(no weight files)";
  std::string out = files_.front();
  if (files_.size() > 1) out += " (+" + std::to_string(files_.size() - 1) + " more shards)";
  return out;
}

int64_t WeightStore::total_elements() const {
  int64_t total = 0;
  for (const auto& entry : records_) total += entry.second->numel();
  return total;
}

torch::Tensor WeightStore::tensor(const std::string& name, torch::ScalarType dtype, torch::Device device) const {
  const TensorRecord& rec = record(name);
  const auto stored = to_scalar_type(rec.dtype);
  const auto file = owner_.at(name);
  const auto element = dtype_size(rec.dtype);
  const bool aligned = reinterpret_cast<std::uintptr_t>(rec.data) % std::max<std::size_t>(element, 1) == 0;
  // The mapping is private and copy-on-write when aliasable(): a tensor over it may be written.
  auto keep_alive = [file](void*) {};
  torch::Tensor view;
  if (aligned && file->aliasable()) {
    view = torch::from_blob(const_cast<std::uint8_t*>(rec.data), rec.shape, keep_alive,
                            torch::TensorOptions().dtype(stored));
    if (stored == dtype && device.is_cpu()) return view;
    return view.to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
  }
  // Unaligned or read-only data: copy the bytes first.
  auto copy = torch::empty(rec.shape, torch::TensorOptions().dtype(stored));
  if (rec.nbytes) std::memcpy(copy.data_ptr(), rec.data, rec.nbytes);
  return copy.to(device, dtype);
}

void WeightStore::release(const std::string& name) const {
  const TensorRecord& rec = record(name);
  owner_.at(name)->release_pages(rec.data, rec.nbytes);
}

namespace {

std::vector<int64_t> sizes_of(const torch::Tensor& t) { return t.sizes().vec(); }

// Module keys (parameters then buffers) with their tensors.
std::vector<std::pair<std::string, torch::Tensor>> module_entries(const torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : module.named_parameters(/*recurse=*/true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) out.emplace_back(item.key(), item.value());
  return out;
}

// The store name that satisfies `key`: itself, else its alias; empty when neither exists.
std::string resolve(const std::string& key, const WeightStore& store, const std::map<std::string, std::string>& aliases) {
  if (store.contains(key)) return key;
  auto alias = aliases.find(key);
  if (alias != aliases.end() && store.contains(alias->second)) return alias->second;
  return {};
}

void append_list(std::string& out, const char* label, const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  constexpr std::size_t kShown = 5;
  out += std::string(out.empty() ? "" : "; ") + std::to_string(keys.size()) + " " + label + ": ";
  for (std::size_t i = 0; i < keys.size() && i < kShown; ++i) out += (i ? ", " : "") + keys[i];
  if (keys.size() > kShown) out += ", ... (" + std::to_string(keys.size() - kShown) + " more)";
}

}  // namespace

std::string LoadReport::summary() const {
  std::string out;
  append_list(out, "missing", missing);
  append_list(out, "unexpected", unexpected);
  append_list(out, "mis-shaped", mis_shaped);
  append_list(out, "with a wrong dtype", wrong_dtype);
  return out.empty() ? "all tensors match" : out;
}

LoadReport check_weights(const torch::nn::Module& module, const WeightStore& store,
                         const std::map<std::string, std::string>& aliases) {
  LoadReport report;
  std::set<std::string> used;
  for (const auto& [key, tensor] : module_entries(module)) {
    const std::string name = resolve(key, store, aliases);
    if (name.empty()) {
      report.missing.push_back(key);
      continue;
    }
    used.insert(name);
    const TensorRecord& rec = store.record(name);
    if (rec.shape != sizes_of(tensor))
      report.mis_shaped.push_back(name + ": expected " + shape_to_string(sizes_of(tensor)) + ", got " +
                                  shape_to_string(rec.shape) + " in " + rec.file);
    if (tensor.is_floating_point() && !dtype_is_floating(rec.dtype))
      report.wrong_dtype.push_back(name + ": expected a floating dtype, got " + dtype_name(rec.dtype) + " in " + rec.file);
  }
  // A tied alias stored next to its key is the same tensor, not an unexpected one.
  for (const auto& [key, alias] : aliases)
    if (used.count(key) || used.count(alias)) {
      used.insert(key);
      used.insert(alias);
    }
  for (const auto& name : store.names())
    if (!used.count(name)) report.unexpected.push_back(name);
  return report;
}

void load_weights_strict(torch::nn::Module& module, const WeightStore& store, const std::string& component,
                         torch::ScalarType dtype, torch::Device device, const std::map<std::string, std::string>& aliases) {
  load_weights_strict(module, store, component, [dtype](const std::string&) { return dtype; }, device, aliases);
}

void load_weights_strict(torch::nn::Module& module, const WeightStore& store, const std::string& component,
                         const DTypeForKey& dtype_for_key, torch::Device device,
                         const std::map<std::string, std::string>& aliases) {
  const LoadReport report = check_weights(module, store, aliases);
  if (!report.ok())
    throw WeightError(component + " (" + store.describe_files() + "): expected weights matching the architecture, got " +
                      report.summary());
  torch::NoGradGuard no_grad;
  for (auto& [key, tensor] : module_entries(module)) {
    const std::string name = resolve(key, store, aliases);
    // Integer buffers keep their own dtype; floating ones take the requested one.
    const auto dtype = tensor.is_floating_point() ? dtype_for_key(key) : tensor.scalar_type();
    auto loaded = store.tensor(name, dtype, device);
    // A converted or moved copy no longer needs the file's pages: keeping them resident would
    // count the weights twice in the process's memory (fp16 file + fp32 copy).
    const bool aliases_file = loaded.device().is_cpu() && loaded.data_ptr() == store.record(name).data;
    tensor.set_data(loaded);
    if (!aliases_file) store.release(name);
  }
}

}  // namespace k3
