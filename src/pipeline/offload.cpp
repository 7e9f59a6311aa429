// Follows diffusers pipeline_utils.py (enable_model_cpu_offload: one component on the device at a
// time; enable_sequential_cpu_offload: each submodule's weights moved in just before it runs).
#include "src/pipeline/offload.h"

#include "base/errors.h"

#include <malloc.h>

namespace k3 {

OffloadMode parse_offload(const std::string& name) {
  if (name == "none" || name.empty()) return OffloadMode::None;
  if (name == "model") return OffloadMode::Model;
  if (name == "sequential") return OffloadMode::Sequential;
  throw ConfigError("offload: expected none, model or sequential, got '" + name + "'");
}

const char* offload_name(OffloadMode mode) {
  switch (mode) {
    case OffloadMode::Model: return "model";
    case OffloadMode::Sequential: return "sequential";
    default: return "none";
  }
}

ModuleSwap::ModuleSwap(torch::nn::Module& module, torch::Device device) : device_(device) {
  for (auto& parameter : module.parameters(/*recurse=*/true)) tensors_.emplace_back(parameter, parameter.data());
  for (auto& buffer : module.buffers(/*recurse=*/true)) tensors_.emplace_back(buffer, buffer.data());
}

void ModuleSwap::to_device() {
  if (on_device_) return;
  torch::NoGradGuard no_grad;
  for (auto& [tensor, master] : tensors_) tensor.set_data(master.to(device_, /*non_blocking=*/false));
  on_device_ = true;
}

void ModuleSwap::to_host() {
  if (!on_device_) return;
  torch::NoGradGuard no_grad;
  // The device copies are freed here; the masters were kept, so nothing is copied back.
  for (auto& [tensor, master] : tensors_) tensor.set_data(master);
  on_device_ = false;
}

FileSwap::FileSwap(torch::nn::Module& module, const std::string& prefix, std::shared_ptr<const WeightStore> store,
                   torch::ScalarType dtype)
    : store_(std::move(store)) {
  auto add = [&](const std::string& key, const torch::Tensor& tensor) {
    // Integer buffers keep their own dtype, as load_weights_strict loads them.
    entries_.push_back({tensor, prefix + key, tensor.is_floating_point() ? dtype : tensor.scalar_type()});
  };
  for (const auto& item : module.named_parameters(/*recurse=*/true)) add(item.key(), item.value());
  for (const auto& item : module.named_buffers(/*recurse=*/true)) add(item.key(), item.value());
  for (const auto& entry : entries_)
    if (!store_->contains(entry.name))
      throw WeightError("offload: expected " + entry.name + " in " + store_->describe_files() + ", got no such tensor");
}

void FileSwap::restore() {
  if (resident_) return;
  torch::NoGradGuard no_grad;
  for (auto& entry : entries_) {
    auto loaded = store_->tensor(entry.name, entry.dtype, torch::kCPU);
    const bool aliases_file = loaded.data_ptr() == store_->record(entry.name).data;
    entry.tensor.set_data(loaded);
    if (!aliases_file) store_->release(entry.name);  // the converted copy is what stays
  }
  resident_ = true;
}

void FileSwap::drop() {
  if (!resident_) return;
  torch::NoGradGuard no_grad;
  for (auto& entry : entries_) {
    entry.tensor.set_data(torch::empty({0}, torch::TensorOptions().dtype(entry.dtype)));
    store_->release(entry.name);  // pages an aliasing tensor held go back too
  }
  resident_ = false;
}

namespace {
// Moves every parameter and buffer of `module` except those under the named children.
void move_except(torch::nn::Module& module, torch::Device device, const std::vector<std::string>& heavy_children) {
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_children()) {
    bool heavy = false;
    for (const auto& name : heavy_children) heavy = heavy || item.key() == name;
    if (!heavy) item.value()->to(device);
  }
  for (auto& parameter : module.parameters(/*recurse=*/false)) parameter.set_data(parameter.data().to(device));
  for (auto& buffer : module.buffers(/*recurse=*/false)) buffer.set_data(buffer.data().to(device));
}
}  // namespace

Offloader::Offloader(OffloadMode mode, torch::Device device, Kandinsky3UNet unet, VQModel movq,
                     std::shared_ptr<const WeightStore> unet_weights, torch::ScalarType dtype)
    : mode_(mode), device_(device), unet_(std::move(unet)) {
  if (device.is_cpu() && unet_weights) {
    if (mode_ != OffloadMode::Model)
      throw ConfigError(std::string("offload on the CPU: expected model, got ") + offload_name(mode_));
    const std::pair<const char*, torch::nn::ModuleList*> lists[] = {{"down_blocks", &unet_->down_blocks},
                                                                      {"up_blocks", &unet_->up_blocks}};
    for (const auto& [list_name, list] : lists)
      for (std::size_t i = 0; i < (*list)->size(); ++i)
        file_blocks_.push_back(std::make_unique<FileSwap>(*(*list)[i], std::string(list_name) + "." + std::to_string(i) + ".",
                                                          unet_weights, dtype));
    return;
  }
  move_except(*unet_, device, {"down_blocks", "up_blocks"});
  move_except(*movq, device, {"encoder", "decoder"});
  for (auto* list : {&unet_->down_blocks, &unet_->up_blocks})
    for (auto& block : (*list)->children())
      unet_blocks_.emplace_back(block.get(), std::make_unique<ModuleSwap>(*block, device));
  if (movq->encoder) encoder_ = std::make_unique<ModuleSwap>(*movq->encoder, device);
  decoder_ = std::make_unique<ModuleSwap>(*movq->decoder, device);
  if (mode_ != OffloadMode::Sequential) return;
  unet_->block_hook = [this](torch::nn::Module& block, bool entering) {
    for (auto& [module, swap] : unet_blocks_) {
      if (module != &block) continue;
      entering ? swap->to_device() : swap->to_host();
    }
  };
}

Offloader::~Offloader() { unet_->block_hook = nullptr; }

void Offloader::host_all_except(ModuleSwap* keep) {
  for (auto& entry : unet_blocks_)
    if (entry.second.get() != keep) entry.second->to_host();
  for (auto* swap : {encoder_.get(), decoder_.get()})
    if (swap && swap != keep) swap->to_host();
}

void Offloader::before_unet() {
  for (auto& block : file_blocks_) block->restore();
  host_all_except(nullptr);
  // Sequential: the hook brings each block in as it runs; model: the whole UNet comes now.
  if (mode_ == OffloadMode::Model)
    for (auto& entry : unet_blocks_) entry.second->to_device();
}

// CPU: drops the UNet's blocks and hands the freed heap back to the system. Without the trim,
// glibc keeps the blocks' many sub-32 MB tensors in its arenas and MoVQ's activations come on top
// (measured at 1024 px fp32: decode peak 17.9 GiB).
void Offloader::drop_file_blocks() {
  if (file_blocks_.empty()) return;
  for (auto& block : file_blocks_) block->drop();
  ::malloc_trim(0);
}

void Offloader::before_movq_encode() {
  drop_file_blocks();
  host_all_except(encoder_.get());
  if (encoder_) encoder_->to_device();
}

void Offloader::before_movq_decode() {
  drop_file_blocks();
  host_all_except(decoder_.get());
  if (decoder_) decoder_->to_device();
}

}  // namespace k3
