#pragma once
// The T5 encoder stack (FLAN-UL2's encoder in Kandinsky 3), built from T5EncoderConfig with
// uninitialised parameters named exactly as the checkpoint: shared.weight,
// encoder.block.{i}.layer.0.SelfAttention.{q,k,v,o}.weight, ...relative_attention_bias.weight (block 0),
// encoder.block.{i}.layer.1.DenseReluDense.{wi_0,wi_1,wo}.weight (or wi for non-gated), layer_norm
// weights, encoder.final_layer_norm.weight. encoder.embed_tokens.weight is tied to shared.weight.
// Follows transformers models/t5/modeling_t5.py (T5Stack encoder, eval mode).
#include "src/nn/nn_layers.h"
#include "src/models/t5_config.h"
#include "src/io/weights.h"

#include <torch/torch.h>

#include <map>
#include <string>

namespace k3 {

// T5LayerNorm: RMS norm without mean subtraction or bias; variance in float32.
class T5LayerNormImpl : public torch::nn::Module {
 public:
  T5LayerNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps;
};
TORCH_MODULE(T5LayerNorm);

class T5AttentionImpl : public torch::nn::Module {
 public:
  T5AttentionImpl(const T5EncoderConfig& config, bool has_relative_attention_bias);
  // `position_bias` is (1 or B, H, q, k) with the mask folded in; computed by block 0.
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& position_bias);
  // (1, H, q, k) bias of the relative positions (bidirectional buckets).
  torch::Tensor compute_bias(int64_t query_length, int64_t key_length);
  // Bidirectional bucket of each relative position (key - query), int64, as transformers'
  // _relative_position_bucket: exact below num_buckets/4, logarithmic (float32 log) above.
  static torch::Tensor relative_position_bucket(const torch::Tensor& relative, int64_t num_buckets, int64_t max_distance);
  nn::Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  nn::Embedding relative_attention_bias{nullptr};

 private:
  int64_t heads_, d_kv_, buckets_, max_distance_;
};
TORCH_MODULE(T5Attention);

// The feed-forward of one block: gated (wo(act(wi_0 x) * wi_1 x)) or plain (wo(act(wi x))).
// The input of wo is cast to wo's dtype (float32 when the model runs in float16, as transformers keeps it).
class T5DenseImpl : public torch::nn::Module {
 public:
  explicit T5DenseImpl(const T5EncoderConfig& config);
  torch::Tensor forward(const torch::Tensor& x);
  nn::Linear wi{nullptr}, wi_0{nullptr}, wi_1{nullptr}, wo{nullptr};

 private:
  bool gated_;
  T5Activation activation_;
};
TORCH_MODULE(T5Dense);

class T5LayerSelfAttentionImpl : public torch::nn::Module {
 public:
  T5LayerSelfAttentionImpl(const T5EncoderConfig& config, bool has_relative_attention_bias);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& position_bias);
  T5Attention SelfAttention{nullptr};
  T5LayerNorm layer_norm{nullptr};
};
TORCH_MODULE(T5LayerSelfAttention);

class T5LayerFFImpl : public torch::nn::Module {
 public:
  explicit T5LayerFFImpl(const T5EncoderConfig& config);
  torch::Tensor forward(const torch::Tensor& hidden);
  T5Dense DenseReluDense{nullptr};
  T5LayerNorm layer_norm{nullptr};
};
TORCH_MODULE(T5LayerFF);

class T5BlockImpl : public torch::nn::Module {
 public:
  T5BlockImpl(const T5EncoderConfig& config, bool has_relative_attention_bias);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& position_bias);
  T5LayerSelfAttention attention{nullptr};
  T5LayerFF feed_forward{nullptr};
  torch::nn::ModuleList layer;
};
TORCH_MODULE(T5Block);

class T5StackImpl : public torch::nn::Module {
 public:
  explicit T5StackImpl(const T5EncoderConfig& config);
  torch::nn::ModuleList block;
  std::vector<T5Block> blocks;
  T5LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(T5Stack);

// (B, 1, 1, L): 0 where attended, the dtype's lowest value where masked (get_extended_attention_mask).
torch::Tensor t5_extended_attention_mask(const torch::Tensor& attention_mask, torch::ScalarType dtype);
// The dtype T5 keeps a weight in: float32 for the `wo` matrices under float16, else `dtype`.
torch::ScalarType t5_weight_dtype(const std::string& key, torch::ScalarType dtype);

class T5EncoderImpl : public torch::nn::Module {
 public:
  explicit T5EncoderImpl(T5EncoderConfig config);
  // input_ids, attention_mask: int64 (B, L) on the module's device. Returns last_hidden_state
  // (B, L, d_model) in the embedding's dtype, all positions (padded ones included, unmasked).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask);

  // Strict load from `store` (accepting encoder.embed_tokens.weight for shared.weight). Under
  // float16 the `wo` matrices stay float32, as transformers' _keep_in_fp32_modules does.
  void load(const WeightStore& store, torch::ScalarType dtype, torch::Device device);
  static const std::map<std::string, std::string>& checkpoint_aliases();

  const T5EncoderConfig& config() const { return config_; }
  nn::Embedding shared{nullptr};
  T5Stack encoder{nullptr};

 private:
  T5EncoderConfig config_;
};
TORCH_MODULE(T5Encoder);

}  // namespace k3
