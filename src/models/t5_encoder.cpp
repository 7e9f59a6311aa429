// Follows transformers models/t5/modeling_t5.py v4.39 (T5LayerNorm, T5Attention with
// _relative_position_bucket/compute_bias, T5DenseActDense, T5DenseGatedActDense, T5Block's float16
// clamps, T5Stack, get_extended_attention_mask) and activations.py (NewGELUActivation).
#include "src/models/t5_encoder.h"

#include "base/errors.h"

#include <cmath>
#include <limits>

namespace k3 {

namespace {

torch::Tensor activate(T5Activation activation, const torch::Tensor& x) {
  switch (activation) {
    case T5Activation::Relu: return torch::relu(x);
    case T5Activation::Silu: return torch::silu(x);
    case T5Activation::Gelu: return torch::gelu(x);
    case T5Activation::GeluPytorchTanh: return torch::gelu(x, "tanh");
    case T5Activation::GeluNew: break;
  }
  // gelu_new: the tanh approximation written out, as NewGELUActivation computes it.
  return 0.5 * x * (1.0 + torch::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * torch::pow(x, 3.0))));
}

// T5Block: float16 activations are clamped to the finite range after each sub-layer.
torch::Tensor clamp_half(const torch::Tensor& h) {
  if (h.scalar_type() != torch::kHalf) return h;
  const double max = 65504.0;
  const double clamp = torch::isinf(h).any().item<bool>() ? max - 1000.0 : max;
  return torch::clamp(h, -clamp, clamp);
}

double lowest_of(torch::ScalarType type) {
  switch (type) {
    case torch::kHalf: return -65504.0;
    case torch::kBFloat16: return -3.3895313892515355e+38;
    case torch::kDouble: return std::numeric_limits<double>::lowest();
    default: return static_cast<double>(std::numeric_limits<float>::lowest());
  }
}

}  // namespace

T5LayerNormImpl::T5LayerNormImpl(int64_t dim, double eps_) : eps(eps_) {
  weight = register_parameter("weight", torch::empty({dim}), /*requires_grad=*/false);
}

torch::Tensor T5LayerNormImpl::forward(const torch::Tensor& x) {
  auto variance = x.to(torch::kFloat32).pow(2).mean(-1, /*keepdim=*/true);
  auto h = x * torch::rsqrt(variance + eps);
  if (weight.scalar_type() == torch::kHalf || weight.scalar_type() == torch::kBFloat16) h = h.to(weight.scalar_type());
  return weight * h;
}

T5AttentionImpl::T5AttentionImpl(const T5EncoderConfig& config, bool has_relative_attention_bias)
    : heads_(config.num_heads),
      d_kv_(config.d_kv),
      buckets_(config.relative_attention_num_buckets),
      max_distance_(config.relative_attention_max_distance) {
  const int64_t inner = config.num_heads * config.d_kv;
  q = register_module("q", nn::Linear(config.d_model, inner, false));
  k = register_module("k", nn::Linear(config.d_model, inner, false));
  v = register_module("v", nn::Linear(config.d_model, inner, false));
  o = register_module("o", nn::Linear(inner, config.d_model, false));
  if (has_relative_attention_bias)
    relative_attention_bias = register_module("relative_attention_bias", nn::Embedding(buckets_, heads_));
}

torch::Tensor T5AttentionImpl::compute_bias(int64_t query_length, int64_t key_length) {
  if (!relative_attention_bias) throw Error("T5 attention: compute_bias needs relative_attention_bias (block 0 only)");
  const auto device = relative_attention_bias->weight.device();
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(device);
  auto context = torch::arange(query_length, long_options).unsqueeze(1);
  auto memory = torch::arange(key_length, long_options).unsqueeze(0);
  auto buckets = relative_position_bucket(memory - context, buckets_, max_distance_);
  auto values = relative_attention_bias->forward(buckets);  // (q, k, H)
  return values.permute({2, 0, 1}).unsqueeze(0);
}

torch::Tensor T5AttentionImpl::relative_position_bucket(const torch::Tensor& relative_position, int64_t num_buckets,
                                                        int64_t max_distance) {
  // Half of the buckets for each direction; small distances exact, large ones logarithmic (log in
  // float32, as transformers computes it: the bucket boundaries depend on that rounding).
  const int64_t half = num_buckets / 2;
  auto buckets = (relative_position > 0).to(torch::kLong) * half;
  auto relative = torch::abs(relative_position);
  const int64_t max_exact = half / 2;
  auto is_small = relative < max_exact;
  auto if_large = max_exact + (torch::log(relative.to(torch::kFloat32) / static_cast<double>(max_exact)) /
                               std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)) *
                               static_cast<double>(half - max_exact))
                                  .to(torch::kLong);
  if_large = torch::min(if_large, torch::full_like(if_large, half - 1));
  return buckets + torch::where(is_small, relative, if_large);
}

torch::Tensor T5AttentionImpl::forward(const torch::Tensor& hidden, const torch::Tensor& position_bias) {
  const int64_t batch = hidden.size(0);
  auto shape = [&](const torch::Tensor& x) { return x.view({batch, -1, heads_, d_kv_}).transpose(1, 2); };
  auto query = shape(q->forward(hidden));
  auto key = shape(k->forward(hidden));
  auto value = shape(v->forward(hidden));
  // No 1/sqrt(d) scaling in T5 (folded into the weights at training time).
  auto scores = torch::matmul(query, key.transpose(3, 2));
  scores = scores + position_bias;
  auto weights = torch::softmax(scores.to(torch::kFloat32), -1).to(scores.scalar_type());
  auto output = torch::matmul(weights, value).transpose(1, 2).contiguous().view({batch, -1, heads_ * d_kv_});
  return o->forward(output);
}

T5DenseImpl::T5DenseImpl(const T5EncoderConfig& config) : gated_(config.is_gated_act), activation_(config.dense_act_fn) {
  if (gated_) {
    wi_0 = register_module("wi_0", nn::Linear(config.d_model, config.d_ff, false));
    wi_1 = register_module("wi_1", nn::Linear(config.d_model, config.d_ff, false));
  } else {
    wi = register_module("wi", nn::Linear(config.d_model, config.d_ff, false));
  }
  wo = register_module("wo", nn::Linear(config.d_ff, config.d_model, false));
}

torch::Tensor T5DenseImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = gated_ ? activate(activation_, wi_0->forward(x)) * wi_1->forward(x) : activate(activation_, wi->forward(x));
  if (h.scalar_type() != wo->weight.scalar_type()) h = h.to(wo->weight.scalar_type());
  return wo->forward(h);
}

T5LayerSelfAttentionImpl::T5LayerSelfAttentionImpl(const T5EncoderConfig& config, bool has_relative_attention_bias) {
  SelfAttention = register_module("SelfAttention", T5Attention(config, has_relative_attention_bias));
  layer_norm = register_module("layer_norm", T5LayerNorm(config.d_model, config.layer_norm_epsilon));
}

torch::Tensor T5LayerSelfAttentionImpl::forward(const torch::Tensor& hidden, const torch::Tensor& position_bias) {
  return hidden + SelfAttention->forward(layer_norm->forward(hidden), position_bias);
}

T5LayerFFImpl::T5LayerFFImpl(const T5EncoderConfig& config) {
  DenseReluDense = register_module("DenseReluDense", T5Dense(config));
  layer_norm = register_module("layer_norm", T5LayerNorm(config.d_model, config.layer_norm_epsilon));
}

torch::Tensor T5LayerFFImpl::forward(const torch::Tensor& hidden) {
  return hidden + DenseReluDense->forward(layer_norm->forward(hidden));
}

T5BlockImpl::T5BlockImpl(const T5EncoderConfig& config, bool has_relative_attention_bias) {
  attention = T5LayerSelfAttention(config, has_relative_attention_bias);
  feed_forward = T5LayerFF(config);
  layer = register_module("layer", torch::nn::ModuleList(attention, feed_forward));
}

torch::Tensor T5BlockImpl::forward(const torch::Tensor& hidden, const torch::Tensor& position_bias) {
  auto h = clamp_half(attention->forward(hidden, position_bias));
  return clamp_half(feed_forward->forward(h));
}

T5StackImpl::T5StackImpl(const T5EncoderConfig& config) {
  block = register_module("block", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_layers; ++i) {
    blocks.push_back(T5Block(config, /*has_relative_attention_bias=*/i == 0));
    block->push_back(blocks.back());
  }
  final_layer_norm = register_module("final_layer_norm", T5LayerNorm(config.d_model, config.layer_norm_epsilon));
}

T5EncoderImpl::T5EncoderImpl(T5EncoderConfig config) : config_(std::move(config)) {
  shared = register_module("shared", nn::Embedding(config_.vocab_size, config_.d_model));
  encoder = register_module("encoder", T5Stack(config_));
}

torch::Tensor T5EncoderImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask) {
  torch::NoGradGuard no_grad;
  if (input_ids.dim() != 2 || attention_mask.sizes() != input_ids.sizes())
    throw Error("T5 encoder: expected input_ids and attention_mask of one shape (B, L), got " + c10::str(input_ids.sizes()) +
                " and " + c10::str(attention_mask.sizes()));
  auto hidden = shared->forward(input_ids);
  auto extended = t5_extended_attention_mask(attention_mask, hidden.scalar_type());
  const int64_t length = input_ids.size(1);
  auto position_bias = encoder->blocks.front()->attention->SelfAttention->compute_bias(length, length) + extended;
  for (auto& block : encoder->blocks) hidden = block->forward(hidden, position_bias);
  return encoder->final_layer_norm->forward(hidden);
}

torch::Tensor t5_extended_attention_mask(const torch::Tensor& attention_mask, torch::ScalarType dtype) {
  // (1 - mask) * lowest, in the model's dtype, broadcast over heads and queries.
  return (1.0 - attention_mask.unsqueeze(1).unsqueeze(2).to(dtype)) * lowest_of(dtype);
}

torch::ScalarType t5_weight_dtype(const std::string& key, torch::ScalarType dtype) {
  const bool is_wo = key.size() >= 10 && key.compare(key.size() - 10, 10, ".wo.weight") == 0;
  return (dtype == torch::kHalf && is_wo) ? torch::kFloat32 : dtype;
}

const std::map<std::string, std::string>& T5EncoderImpl::checkpoint_aliases() {
  static const std::map<std::string, std::string> aliases = {{"shared.weight", "encoder.embed_tokens.weight"}};
  return aliases;
}

void T5EncoderImpl::load(const WeightStore& store, torch::ScalarType dtype, torch::Device device) {
  auto dtype_for_key = [dtype](const std::string& key) { return t5_weight_dtype(key, dtype); };
  load_weights_strict(*this, store, "text_encoder", dtype_for_key, device, checkpoint_aliases());
}

}  // namespace k3
