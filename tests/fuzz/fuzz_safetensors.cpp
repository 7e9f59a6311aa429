// libFuzzer target: weight files as the model loader opens them (scripts/fuzz.sh 300
// fuzz_safetensors). Input: byte 0 even = the rest is a .safetensors file, opened (mmap) and
// every tensor's bytes read; odd = the rest is a sharded index (model.safetensors.index.json) of
// a model folder holding the shards a.safetensors and b.safetensors, whose files are listed.
// Anything but a k3::Error escaping is a bug, and so is a tensor record outside the file.
#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/io/safetensors.h"
#include "tests/fuzz/fuzz_support.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void open_weights(const std::uint8_t* data, std::size_t size) {
  const std::string path = k3::fuzz::write_scratch("weights.safetensors", data, size);
  const auto file = k3::SafetensorsFile::open(path);
  const auto* begin = static_cast<const std::uint8_t*>(nullptr);
  for (const auto& [name, record] : file->tensors()) {
    if (record.nbytes != static_cast<std::size_t>(record.numel()) * k3::dtype_size(record.dtype)) std::abort();
    if (record.nbytes > file->file_size()) std::abort();
    unsigned sum = 0;
    for (std::size_t i = 0; i < record.nbytes; ++i) sum += record.data[i];  // a record outside the mapping faults here
    (void)sum;
    (void)begin;
  }
}

void list_shards(const std::uint8_t* data, std::size_t size) {
  static const bool folder_made = [] {
    k3::fuzz::write_scratch("model/model_index.json", R"({"_class_name": "Kandinsky3Pipeline", "unet": ["diffusers", "Kandinsky3UNet"]})");
    k3::fuzz::write_scratch("model/unet/config.json", "{}");
    k3::fuzz::write_scratch("model/unet/a.safetensors", "");
    k3::fuzz::write_scratch("model/unet/b.safetensors", "");
    return true;
  }();
  (void)folder_made;
  k3::fuzz::write_scratch("model/unet/diffusion_pytorch_model.safetensors.index.json", data, size);
  const auto folder = k3::ModelFolder::open(k3::fuzz::scratch_dir() + "/model");
  for (const std::string& file : folder.weight_files("unet"))
    if (file.rfind(k3::fuzz::scratch_dir() + "/model/unet/", 0) != 0) std::abort();  // a shard outside the folder
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  try {
    if (data[0] % 2 == 0) open_weights(data + 1, size - 1);
    else list_shards(data + 1, size - 1);
  } catch (const k3::Error& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
