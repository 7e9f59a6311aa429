#pragma once
// The original Kandinsky 3 checkpoints (ai-forever/Kandinsky-3, torch.save pickles: UNet files
// {'unet': state_dict, 'null_embedding': tensor}, movq.pt and projection*.pt plain state dicts,
// the FLAN-UL2 encoder's pytorch_model-*.bin shards) read tensor by tensor, renamed to the
// diffusers layout (spec 6.3, 6.4) and written as a model folder our loader reads.
// Streaming: the pickle is parsed with each storage left unread (only its record name is kept);
// a storage is read when its tensor is written and dropped right after, so a 12 GB file needs
// about one tensor of memory, never the whole state dict.
// Follows diffusers scripts/convert_kandinsky3_unet.py (UNet key mapping) and
// scripts/convert_kandinsky_to_diffusers.py (MoVQ key mapping).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace caffe2::serialize {
class PyTorchStreamReader;
}

namespace k3 {

struct PickledTensor {
  std::string name;  // nested dict keys joined with '.' (e.g. "unet.in_layer.weight")
  torch::ScalarType dtype = torch::kFloat;
  std::vector<int64_t> sizes, strides;
  int64_t storage_offset = 0;
  std::string record;  // the zip record holding its storage (e.g. "data/17")
};

// A torch.save (zip) checkpoint with its tensors' metadata; data read on demand.
class PickledCheckpoint {
 public:
  // Parses data.pkl (dicts, OrderedDicts, tensors; no other classes). Throws FileError.
  static PickledCheckpoint open(const std::string& path);
  const std::string& path() const { return path_; }
  const std::vector<PickledTensor>& tensors() const { return tensors_; }
  // Reads the tensor's storage record and returns the tensor, contiguous; it holds the record's
  // buffer (freed with the tensor), so one tensor costs about its storage's size.
  torch::Tensor read(const PickledTensor& tensor) const;

 private:
  std::string path_;
  std::shared_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
  std::vector<PickledTensor> tensors_;
};

// Original -> diffusers names (spec 6.4), in the order given there.
std::string original_unet_key_to_diffusers(const std::string& key);
// MoVQ: decoder levels are reversed, so the number of levels is needed.
std::string original_movq_key_to_diffusers(const std::string& key, int64_t levels);

struct OriginalConversion {
  std::string unet;          // kandinsky3*.pt (required)
  std::string projection;    // projection*.pt (required: the UNet's encoder_hid_proj)
  std::string movq;          // movq.pt (required)
  std::string text_encoder;  // flan_ul2_encoder/ folder (optional: transformers .bin shards + tokenizer files)
  std::string output_dir;
  // Not recoverable from tensor shapes: the real model's values are the defaults.
  int64_t unet_groups = 32;
  int64_t unet_attention_head_dim = 64;
  int64_t movq_norm_groups = 32;
  // Progress: (component, tensors done, tensors in the component).
  std::function<void(const std::string&, int64_t, int64_t)> on_tensor;
};

// Writes model_index.json, scheduler/scheduler_config.json, unet/ (config.json derived from the
// shapes, diffusion_pytorch_model.safetensors, null_embedding.safetensors when the checkpoint has
// one), movq/ and, when given, text_encoder/ (model-0000i-of-0000n.safetensors + index,
// config.json) and tokenizer/. Throws FileError / WeightError naming the file and key at fault.
void convert_original_checkpoints(const OriginalConversion& conversion);

}  // namespace k3
