// Follows diffusers models/unets/unet_kandinsky3.py (Kandinsky3ConditionalGroupNorm, Kandinsky3Block,
// Kandinsky3ResNetBlock, Kandinsky3AttentionBlock, Kandinsky3DownSampleBlock, Kandinsky3UpSampleBlock).
#include "src/models/unet_blocks.h"

#include "src/nn/attention.h"
#include "src/nn/conv_dispatch.h"

#include <cmath>

namespace k3::unet {

AttentionImpl::AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t head_dim_, int64_t out_dim)
    : heads(out_dim / head_dim_), head_dim(head_dim_) {
  to_q = register_module("to_q", k3::nn::Linear(query_dim, out_dim, false));
  to_k = register_module("to_k", k3::nn::Linear(context_dim, out_dim, false));
  to_v = register_module("to_v", k3::nn::Linear(context_dim, out_dim, false));
  torch::nn::ModuleList to_out;
  to_out_0 = k3::nn::Linear(out_dim, out_dim, false);
  to_out->push_back(to_out_0);
  register_module("to_out", to_out);
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context,
                                     const torch::Tensor& additive_mask) {
  auto out = multi_head_attention(to_q(x), to_k(context), to_v(context), heads,
                                  1.0 / std::sqrt(static_cast<double>(head_dim)), additive_mask);
  return to_out_0(out);
}

ConditionalGroupNormImpl::ConditionalGroupNormImpl(int64_t groups, int64_t channels, int64_t time_embed_dim) {
  norm = register_module("norm", k3::nn::GroupNorm(groups, channels, 1e-5, /*affine=*/false));
  context_linear = k3::nn::Linear(time_embed_dim, 2 * channels);
  register_module("context_mlp", torch::nn::Sequential(torch::nn::SiLU(), context_linear));
}

torch::Tensor ConditionalGroupNormImpl::forward(const torch::Tensor& x, const torch::Tensor& time_embed) {
  auto context = context_linear(torch::silu(time_embed));
  context = context.view({context.size(0), context.size(1), 1, 1});
  auto scale_shift = context.chunk(2, 1);
  // shift + normed * (scale + 1) in one pass over the normalised tensor, written in place
  // (instead of two passes and two full-size temporaries).
  auto normed = norm(x);
  return torch::addcmul_out(normed, scale_shift[1], normed, scale_shift[0] + 1.0);
}

BlockImpl::BlockImpl(int64_t in_channels, int64_t out_channels, int64_t time_embed_dim, int64_t kernel,
                     int64_t groups, std::optional<bool> resample) {
  group_norm = register_module("group_norm", ConditionalGroupNorm(groups, in_channels, time_embed_dim));
  if (resample == true)
    up_sample = register_module("up_sample", k3::nn::ConvTranspose2d(in_channels, in_channels, 2, 2));
  projection =
      register_module("projection", k3::nn::Conv2d(in_channels, out_channels, kernel, 1, kernel > 1 ? 1 : 0));
  if (resample == false)
    down_sample = register_module("down_sample", k3::nn::Conv2d(out_channels, out_channels, 2, 2));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& time_embed) {
  auto h = group_norm(x, time_embed);
  torch::silu_(h);  // in place: the norm's output is a fresh tensor
  if (up_sample) h = conv_transpose2d(*up_sample, h);
  h = conv2d(*projection, h);
  if (down_sample) h = conv2d(*down_sample, h);
  return h;
}

ResNetBlockImpl::ResNetBlockImpl(int64_t in_channels, int64_t out_channels, int64_t time_embed_dim, int64_t groups,
                                 int64_t compression_ratio, const Resolutions& resolutions) {
  const int64_t hidden = std::max(in_channels, out_channels) / compression_ratio;
  const std::array<std::pair<int64_t, int64_t>, 4> channels = {
      {{in_channels, hidden}, {hidden, hidden}, {hidden, hidden}, {hidden, out_channels}}};
  const std::array<int64_t, 4> kernels = {1, 3, 3, 1};
  resnet_blocks = register_module("resnet_blocks", torch::nn::ModuleList());
  bool any_up = false, any_down = false;
  for (size_t i = 0; i < 4; ++i) {
    resnet_blocks->push_back(
        Block(channels[i].first, channels[i].second, time_embed_dim, kernels[i], groups, resolutions[i]));
    any_up = any_up || resolutions[i] == true;
    any_down = any_down || resolutions[i] == false;
  }
  if (any_up)
    shortcut_up_sample = register_module("shortcut_up_sample", k3::nn::ConvTranspose2d(in_channels, in_channels, 2, 2));
  if (in_channels != out_channels)
    shortcut_projection = register_module("shortcut_projection", k3::nn::Conv2d(in_channels, out_channels, 1));
  if (any_down)
    shortcut_down_sample =
        register_module("shortcut_down_sample", k3::nn::Conv2d(out_channels, out_channels, 2, 2));
}

torch::Tensor ResNetBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& time_embed) {
  auto out = x;
  for (const auto& block : *resnet_blocks) out = block->as<BlockImpl>()->forward(out, time_embed);
  auto shortcut = x;
  if (shortcut_up_sample) shortcut = conv_transpose2d(*shortcut_up_sample, shortcut);
  if (shortcut_projection) shortcut = conv2d(*shortcut_projection, shortcut);
  if (shortcut_down_sample) shortcut = conv2d(*shortcut_down_sample, shortcut);
  return shortcut + out;
}

AttentionBlockImpl::AttentionBlockImpl(int64_t channels, int64_t time_embed_dim, int64_t context_dim, int64_t groups,
                                       int64_t head_dim, int64_t expansion_ratio) {
  in_norm = register_module("in_norm", ConditionalGroupNorm(groups, channels, time_embed_dim));
  attention =
      register_module("attention", Attention(channels, context_dim > 0 ? context_dim : channels, head_dim, channels));
  out_norm = register_module("out_norm", ConditionalGroupNorm(groups, channels, time_embed_dim));
  const int64_t hidden = expansion_ratio * channels;
  feed_forward_in = k3::nn::Conv2d(channels, hidden, 1, 1, 0, false);
  feed_forward_out = k3::nn::Conv2d(hidden, channels, 1, 1, 0, false);
  register_module("feed_forward", torch::nn::Sequential(feed_forward_in, torch::nn::SiLU(), feed_forward_out));
}

torch::Tensor AttentionBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& time_embed,
                                          const torch::Tensor& context, const torch::Tensor& additive_mask) {
  const auto batch = x.size(0), channels = x.size(1), height = x.size(2), width = x.size(3);
  auto tokens = in_norm(x, time_embed).reshape({batch, channels, height * width}).permute({0, 2, 1});
  auto out = attention(tokens, context.defined() ? context : tokens, additive_mask);
  auto h = x + out.permute({0, 2, 1}).reshape({batch, channels, height, width});
  auto hidden = conv2d(*feed_forward_in, out_norm(h, time_embed));
  torch::silu_(hidden);  // in place: the convolution's output is a fresh tensor
  auto ff = conv2d(*feed_forward_out, hidden);
  return h + ff;
}

namespace {
AttentionBlock self_attention_block(int64_t channels, const LevelSpec& s) {
  return AttentionBlock(channels, s.time_embed_dim, 0, s.groups, s.head_dim, s.expansion_ratio);
}
AttentionBlock cross_attention_block(int64_t channels, const LevelSpec& s) {
  return AttentionBlock(channels, s.time_embed_dim, s.context_dim, s.groups, s.head_dim, s.expansion_ratio);
}
}  // namespace

DownSampleBlockImpl::DownSampleBlockImpl(int64_t in_channels, int64_t out_channels, const LevelSpec& spec_,
                                         bool down_sample)
    : spec(spec_) {
  attentions = register_module("attentions", torch::nn::ModuleList());
  resnets_in = register_module("resnets_in", torch::nn::ModuleList());
  resnets_out = register_module("resnets_out", torch::nn::ModuleList());
  // Identity placeholders keep the checkpoint indices (attentions.1 is the first cross-attention).
  if (spec.self_attention) attentions->push_back(self_attention_block(in_channels, spec));
  else attentions->push_back(torch::nn::Identity());
  for (int64_t i = 0; i < spec.num_blocks; ++i) {
    const int64_t block_in = i == 0 ? in_channels : out_channels;
    resnets_in->push_back(
        ResNetBlock(block_in, out_channels, spec.time_embed_dim, spec.groups, spec.compression_ratio));
    if (spec.context_dim > 0) attentions->push_back(cross_attention_block(out_channels, spec));
    else attentions->push_back(torch::nn::Identity());
    Resolutions resolutions{};
    if (down_sample && i == spec.num_blocks - 1) resolutions[2] = false;
    resnets_out->push_back(ResNetBlock(out_channels, out_channels, spec.time_embed_dim, spec.groups,
                                       spec.compression_ratio, resolutions));
  }
}

torch::Tensor DownSampleBlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& time_embed,
                                           const torch::Tensor& context, const torch::Tensor& additive_mask) {
  auto x = x_in;
  if (spec.self_attention) x = attentions[0]->as<AttentionBlockImpl>()->forward(x, time_embed);
  for (int64_t i = 0; i < spec.num_blocks; ++i) {
    x = resnets_in[i]->as<ResNetBlockImpl>()->forward(x, time_embed);
    if (spec.context_dim > 0)
      x = attentions[i + 1]->as<AttentionBlockImpl>()->forward(x, time_embed, context, additive_mask);
    x = resnets_out[i]->as<ResNetBlockImpl>()->forward(x, time_embed);
  }
  return x;
}

UpSampleBlockImpl::UpSampleBlockImpl(int64_t in_channels, int64_t cat_channels, int64_t out_channels,
                                     const LevelSpec& spec_, bool up_sample)
    : spec(spec_) {
  attentions = register_module("attentions", torch::nn::ModuleList());
  resnets_in = register_module("resnets_in", torch::nn::ModuleList());
  resnets_out = register_module("resnets_out", torch::nn::ModuleList());
  if (spec.self_attention) attentions->push_back(self_attention_block(out_channels, spec));
  else attentions->push_back(torch::nn::Identity());
  for (int64_t i = 0; i < spec.num_blocks; ++i) {
    const int64_t block_in = i == 0 ? in_channels + cat_channels : in_channels;
    const int64_t block_out = i == spec.num_blocks - 1 ? out_channels : in_channels;
    Resolutions resolutions{};
    if (up_sample && i == 0) resolutions[1] = true;
    resnets_in->push_back(
        ResNetBlock(block_in, block_in, spec.time_embed_dim, spec.groups, spec.compression_ratio, resolutions));
    if (spec.context_dim > 0) attentions->push_back(cross_attention_block(block_in, spec));
    else attentions->push_back(torch::nn::Identity());
    resnets_out->push_back(
        ResNetBlock(block_in, block_out, spec.time_embed_dim, spec.groups, spec.compression_ratio));
  }
}

torch::Tensor UpSampleBlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& time_embed,
                                         const torch::Tensor& context, const torch::Tensor& additive_mask) {
  auto x = x_in;
  for (int64_t i = 0; i < spec.num_blocks; ++i) {
    x = resnets_in[i]->as<ResNetBlockImpl>()->forward(x, time_embed);
    if (spec.context_dim > 0)
      x = attentions[i + 1]->as<AttentionBlockImpl>()->forward(x, time_embed, context, additive_mask);
    x = resnets_out[i]->as<ResNetBlockImpl>()->forward(x, time_embed);
  }
  if (spec.self_attention) x = attentions[0]->as<AttentionBlockImpl>()->forward(x, time_embed);
  return x;
}

}  // namespace k3::unet
