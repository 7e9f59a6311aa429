#pragma once
// The T5 encoder run straight from its safetensors shards: the weights of one block at a time are
// read (converted to the compute dtype, or copied to the GPU), used, and dropped, and the file
// pages they came from are given back. FLAN-UL2's encoder (8.7e9 parameters, 17 GB in half
// precision) then needs about one block (268e6 parameters) plus the token embedding and the
// activations, instead of 35 GB in float32. The arithmetic is T5Encoder's own (same modules,
// same order of operations): the outputs equal the resident encoder's run on one prompt at a time.
// Follows transformers models/t5/modeling_t5.py (T5Stack.forward), one block at a time as
// accelerate's disk offload runs it. Each prompt runs as a batch of one, so its embedding never
// depends on the other prompts encoded with it.
#include "src/models/t5_config.h"
#include "src/models/text_encoder.h"
#include "src/io/weights.h"

#include <torch/torch.h>

#include <memory>

namespace k3 {

class StreamedT5Encoder final : public TextEncoder {
 public:
  // Checks every checkpoint key against the architecture once (headers only; WeightError listing
  // missing, unexpected and mis-shaped keys). Under float16 the `wo` matrices run in float32, as
  // transformers keeps them.
  StreamedT5Encoder(T5EncoderConfig config, std::shared_ptr<const WeightStore> store, torch::ScalarType dtype,
                    torch::Device device);
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) override;
  torch::ScalarType dtype() const override { return dtype_; }
  torch::Device device() const override { return device_; }

 private:
  torch::Tensor embed(const torch::Tensor& input_ids);
  // Block `index` with its weights read from the store (released from the file's pages).
  T5Block load_block(int64_t index);
  torch::ScalarType dtype_for(const std::string& key) const;
  void fill(torch::nn::Module& module, const std::string& prefix);
  // Frees the module's weights and gives their file pages back.
  void release(torch::nn::Module& module, const std::string& prefix);

  T5EncoderConfig config_;
  std::shared_ptr<const WeightStore> store_;
  torch::ScalarType dtype_;
  torch::Device device_;
};

}  // namespace k3
