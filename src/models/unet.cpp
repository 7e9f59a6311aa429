// Follows diffusers models/unets/unet_kandinsky3.py (Kandinsky3UNet, Kandinsky3EncoderProj,
// Kandinsky3AttentionPooling) and models/embeddings.py (Timesteps, TimestepEmbedding).
#include "src/models/unet.h"

#include "base/errors.h"

#include <cmath>

namespace k3 {

namespace {
// A parameter-less holder so that children get the checkpoint's dotted prefixes.
struct GroupImpl : torch::nn::Module {};
TORCH_MODULE(Group);
}  // namespace

Kandinsky3UNetImpl::Kandinsky3UNetImpl(const UNetConfig& config) : config_(config) {
  const auto& c = config_;
  const int64_t init = c.init_channels();
  const int64_t t_dim = c.time_embedding_dim;

  auto time_embedding = register_module("time_embedding", Group());
  time_linear_1 = time_embedding->register_module("linear_1", k3::nn::Linear(init, t_dim));
  time_linear_2 = time_embedding->register_module("linear_2", k3::nn::Linear(t_dim, t_dim));

  auto add_time_condition = register_module("add_time_condition", Group());
  pooling_attention = add_time_condition->register_module(
      "attention", unet::Attention(c.cross_attention_dim, c.cross_attention_dim, c.attention_head_dim, t_dim));

  conv_in = register_module("conv_in", k3::nn::Conv2d(c.in_channels, init, 3, 1, 1));

  auto encoder_hid_proj = register_module("encoder_hid_proj", Group());
  projection_linear = encoder_hid_proj->register_module(
      "projection_linear", k3::nn::Linear(c.encoder_hid_dim, c.cross_attention_dim, false));
  projection_norm = encoder_hid_proj->register_module("projection_norm", k3::nn::LayerNorm(c.cross_attention_dim));

  std::vector<int64_t> hidden = {init};
  hidden.insert(hidden.end(), c.block_out_channels.begin(), c.block_out_channels.end());
  const int64_t levels = c.levels();
  auto spec_of = [&](int64_t level) {
    return unet::LevelSpec{t_dim,
                           c.add_cross_attention[level] ? c.cross_attention_dim : 0,
                           c.layers_per_block,
                           c.groups,
                           c.attention_head_dim,
                           c.expansion_ratio,
                           c.compression_ratio,
                           static_cast<bool>(c.add_self_attention[level])};
  };
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  std::vector<int64_t> cat_dims;
  for (int64_t level = 0; level < levels; ++level) {
    const bool last = level == levels - 1;
    cat_dims.push_back(last ? 0 : hidden[level + 1]);
    down_blocks->push_back(unet::DownSampleBlock(hidden[level], hidden[level + 1], spec_of(level), !last));
  }
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  for (int64_t up = 0; up < levels; ++up) {
    const int64_t level = levels - 1 - up;  // reversed level parameters
    const int64_t cat = cat_dims.back();
    cat_dims.pop_back();
    up_blocks->push_back(unet::UpSampleBlock(hidden[level + 1], cat, hidden[level], spec_of(level), up != 0));
  }
  conv_norm_out = register_module("conv_norm_out", k3::nn::GroupNorm(c.groups, init));
  conv_out = register_module("conv_out", k3::nn::Conv2d(init, c.out_channels(), 3, 1, 1));
}

torch::Tensor Kandinsky3UNetImpl::time_features(const torch::Tensor& timesteps) const {
  const int64_t dim = config_.init_channels();
  const int64_t half = dim / 2;
  auto options = torch::TensorOptions().dtype(torch::kFloat).device(timesteps.device());
  // exponent = -ln(10000) * arange(half) / (half - downscale_freq_shift), all in float32
  auto exponent = torch::arange(0, half, options) * static_cast<float>(-std::log(10000.0));
  exponent = exponent / static_cast<float>(half - 1);
  auto frequencies = torch::exp(exponent);
  auto arguments = timesteps.to(torch::kFloat).unsqueeze(1) * frequencies.unsqueeze(0);
  auto features = torch::cat({torch::sin(arguments), torch::cos(arguments)}, 1);
  if (dim % 2 == 1) features = torch::constant_pad_nd(features, {0, 1});
  return features;
}

torch::Tensor Kandinsky3UNetImpl::forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                                          const torch::Tensor& encoder_hidden_states,
                                          const torch::Tensor& encoder_attention_mask) {
  return forward_projected(sample, timestep, project_context(encoder_hidden_states), encoder_attention_mask);
}

torch::Tensor Kandinsky3UNetImpl::project_context(const torch::Tensor& encoder_hidden_states) {
  return projection_norm(projection_linear(encoder_hidden_states));
}

torch::Tensor Kandinsky3UNetImpl::forward_projected(const torch::Tensor& sample, const torch::Tensor& timestep,
                                                    const torch::Tensor& context,
                                                    const torch::Tensor& encoder_attention_mask) {
  if (sample.dim() != 4 || sample.size(1) != config_.in_channels)
    throw ConfigError("Kandinsky3UNet: expected sample [B, " + std::to_string(config_.in_channels) +
                      ", h, w], got " + c10::str(sample.sizes()));
  if (!encoder_attention_mask.defined())
    throw ConfigError("Kandinsky3UNet: expected an encoder_attention_mask, got none");
  const auto batch = sample.size(0);
  const auto dtype = sample.scalar_type();
  auto additive_mask = ((1 - encoder_attention_mask.to(dtype)) * -10000.0).unsqueeze(1);

  auto t = timestep.dim() == 0 ? timestep.reshape({1}) : timestep;
  t = t.to(sample.device()).expand({batch});
  auto time_embed = time_linear_2(torch::silu(time_linear_1(time_features(t).to(dtype))));

  time_embed = time_embed + pooling_attention(context.mean(1, true), context, additive_mask).squeeze(1);

  std::vector<torch::Tensor> skips;
  auto x = conv_in(sample);
  const auto levels = static_cast<int64_t>(down_blocks->size());
  for (int64_t level = 0; level < levels; ++level) {
    auto* block = down_blocks[level]->as<unet::DownSampleBlockImpl>();
    if (block_hook) block_hook(*block, true);
    x = block->forward(x, time_embed, context, additive_mask);
    if (block_hook) block_hook(*block, false);
    if (level != levels - 1) skips.push_back(x);
  }
  for (int64_t level = 0; level < levels; ++level) {
    if (level != 0) {
      x = torch::cat({x, skips.back()}, 1);
      skips.pop_back();
    }
    auto* block = up_blocks[level]->as<unet::UpSampleBlockImpl>();
    if (block_hook) block_hook(*block, true);
    x = block->forward(x, time_embed, context, additive_mask);
    if (block_hook) block_hook(*block, false);
  }
  return conv_out(torch::silu(conv_norm_out(x)));
}

}  // namespace k3
