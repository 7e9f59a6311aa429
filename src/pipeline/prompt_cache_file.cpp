// The prompt-embedding cache on disk (PromptEncoder::save_cache / load_cache): one safetensors file,
// tensor "prompt.N" = the N-th text's rows (real tokens only, padding zeroed), the texts as a JSON
// array in the metadata. A resumed render reads it instead of running the 8.7e9-parameter encoder.
#include "src/pipeline/prompt_encoder.h"

#include "base/atomic_file.h"
#include "base/errors.h"
#include "src/io/safetensors.h"
#include "src/io/weights.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>

namespace k3 {

namespace {
constexpr const char* kTextsKey = "k3anim.prompts";
std::string tensor_name(std::size_t index) {
  char name[32];
  std::snprintf(name, sizeof(name), "prompt.%zu", index);
  return name;
}
}  // namespace

void PromptEncoder::save_cache(const std::string& path, const std::vector<std::string>& texts) const {
  std::vector<std::string> chosen = texts;
  if (chosen.empty())
    for (const auto& entry : cache_) chosen.push_back(entry.first);
  std::vector<torch::Tensor> keep;  // owns the CPU copies while they are written
  std::vector<TensorToWrite> entries;
  nlohmann::json names = nlohmann::json::array();
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    keep.push_back(lookup(chosen[i]).embeds.to(torch::kCPU).contiguous());
    entries.push_back({tensor_name(i), to_dtype(keep.back().scalar_type()), keep.back().sizes().vec(), keep.back().data_ptr()});
    names.push_back(chosen[i]);
  }
  // Written next to the target and renamed over it: a crash never leaves half a cache behind.
  const std::string partial = temporary_path_for(path);
  write_safetensors(partial, entries, {{kTextsKey, names.dump()}});
  replace_with(partial, path);
}

void PromptEncoder::load_cache(const std::string& path, int64_t width) {
  auto file = SafetensorsFile::open(path);
  auto meta = file->metadata().find(kTextsKey);
  nlohmann::json names;
  try {
    if (meta == file->metadata().end()) throw std::runtime_error("no metadata");
    names = nlohmann::json::parse(meta->second);
    if (!names.is_array()) throw std::runtime_error("not an array");
  } catch (const std::exception&) {
    throw FileError(path + ": expected a prompt cache (metadata '" + std::string(kTextsKey) +
                    "' with a JSON array of texts), got none");
  }
  if (names.size() != file->tensors().size())
    throw FileError(path + ": expected one tensor per text (" + std::to_string(names.size()) + "), got " +
                    std::to_string(file->tensors().size()));
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto it = file->tensors().find(tensor_name(i));
    if (!names[i].is_string() || it == file->tensors().end() || it->second.shape.size() != 2 ||
        it->second.shape[1] != width || !dtype_is_floating(it->second.dtype))
      throw FileError(path + ": " + tensor_name(i) + ": expected a text and its floating [n, " + std::to_string(width) +
                      "] embeddings, got " + (it == file->tensors().end() ? "none" : shape_to_string(it->second.shape)));
    const auto& record = it->second;
    auto cpu = torch::empty(record.shape, torch::TensorOptions().dtype(to_scalar_type(record.dtype)));
    if (record.nbytes) std::memcpy(cpu.data_ptr(), record.data, record.nbytes);
    const auto text = names[i].get<std::string>();
    if (!cache_.count(text)) cache_[text] = {cpu.to(device_, dtype_), record.shape[0]};
  }
}

}  // namespace k3
