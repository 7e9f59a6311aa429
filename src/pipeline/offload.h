#pragma once
// Offloading for small GPUs, as the user chooses it:
//   none        UNet and MoVQ live on the device (fastest; about 6.7 GB in half precision),
//   model       the UNet's blocks and MoVQ's encoder/decoder live in host memory and only the
//               component at work visits the device (the UNet for the denoising loop, MoVQ for
//               encode/decode): the device holds one of them at a time,
//   sequential  as model, and the UNet's blocks visit the device one at a time during each
//               forward (slowest; the device holds one block plus the activations).
// The small parts (time embedding, text projection, conv_in/out, MoVQ's quant convs) stay on
// the device, so tensors keep flowing there and the arithmetic is unchanged.
// On the CPU there is no second memory to move to: `model` there drops the UNet's down/up blocks
// while MoVQ encodes or decodes and reads them again from their mmap'd weight file, converted as
// at load (the file is the master; bit-identical weights, a few seconds per frame). That lets
// fp32 reach 1024 px within 16 GiB, where UNet weights and the decoder's activations would not
// fit together.
// Follows diffusers pipeline_utils.py (enable_model_cpu_offload, enable_sequential_cpu_offload).
#include "src/models/movq.h"
#include "src/models/unet.h"
#include "src/io/weights.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace k3 {

enum class OffloadMode { None, Model, Sequential };
// "none" | "model" | "sequential" (ConfigError naming the choices otherwise).
OffloadMode parse_offload(const std::string& name);
const char* offload_name(OffloadMode mode);

// One submodule whose weights stay in host memory (its "masters") and are copied to the device
// only while it works; going back costs nothing (the masters were never dropped).
class ModuleSwap {
 public:
  ModuleSwap(torch::nn::Module& module, torch::Device device);
  void to_device();
  void to_host();
  bool on_device() const { return on_device_; }

 private:
  std::vector<std::pair<torch::Tensor, torch::Tensor>> tensors_;  // (parameter, host master)
  torch::Device device_;
  bool on_device_ = false;
};

// CPU: a submodule's weights dropped while another component works and read again from the
// mmap'd file they were loaded from (names = `prefix` + the module's keys), in `dtype`.
class FileSwap {
 public:
  FileSwap(torch::nn::Module& module, const std::string& prefix, std::shared_ptr<const WeightStore> store,
           torch::ScalarType dtype);
  void restore();
  void drop();
  bool resident() const { return resident_; }

 private:
  struct Entry {
    torch::Tensor tensor;
    std::string name;
    torch::ScalarType dtype;
  };
  std::vector<Entry> entries_;
  std::shared_ptr<const WeightStore> store_;
  bool resident_ = true;
};

// Moves the heavy parts of UNet and MoVQ as the pipeline enters each stage. Construct it after
// the weights were loaded into host memory: it moves the small parts to `device` at once.
class Offloader {
 public:
  // `unet_weights` (CPU only, mode model): the store the UNet was loaded from, in `dtype`; its
  // down/up blocks are then dropped during MoVQ's stages and re-read before the UNet's.
  Offloader(OffloadMode mode, torch::Device device, Kandinsky3UNet unet, VQModel movq,
            std::shared_ptr<const WeightStore> unet_weights = nullptr, torch::ScalarType dtype = torch::kFloat);
  ~Offloader();
  Offloader(const Offloader&) = delete;
  Offloader& operator=(const Offloader&) = delete;
  void before_unet();
  void before_movq_encode();
  void before_movq_decode();
  OffloadMode mode() const { return mode_; }

 private:
  void host_all_except(ModuleSwap* keep);
  void drop_file_blocks();
  OffloadMode mode_;
  torch::Device device_;
  Kandinsky3UNet unet_;
  std::vector<std::pair<const torch::nn::Module*, std::unique_ptr<ModuleSwap>>> unet_blocks_;
  std::unique_ptr<ModuleSwap> encoder_, decoder_;
  std::vector<std::unique_ptr<FileSwap>> file_blocks_;  // CPU model offload
};

}  // namespace k3
