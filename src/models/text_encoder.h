#pragma once
// The text encoder as the prompt encoder sees it: token ids and mask in, last_hidden_state out.
// Two kinds: a T5 encoder resident in memory (tests, small models), and the FLAN-UL2 encoder
// streamed block by block from its mmap'd shards (src/models/t5_streamed.h), whose peak is one block.
#include "src/models/t5_encoder.h"

#include <torch/torch.h>

#include <memory>

namespace k3 {

class TextEncoder {
 public:
  virtual ~TextEncoder() = default;
  // input_ids, attention_mask: int64 (B, L). Returns (B, L, d_model) on device(), in dtype().
  virtual torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) = 0;
  virtual torch::ScalarType dtype() const = 0;
  virtual torch::Device device() const = 0;
};

// Wraps a loaded T5Encoder (all weights in memory).
std::unique_ptr<TextEncoder> make_resident_text_encoder(T5Encoder encoder);

}  // namespace k3
