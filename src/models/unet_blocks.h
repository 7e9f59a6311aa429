#pragma once
// The building blocks of Kandinsky3UNet. Member names mirror diffusers' attribute names so
// parameter names equal checkpoint keys (e.g. `resnet_blocks.1.group_norm.context_mlp.1.weight`).
// Follows diffusers models/unets/unet_kandinsky3.py and models/attention_processor.py (Attention).
#include "src/nn/nn_layers.h"

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <optional>

namespace k3::unet {

// diffusers Attention(query_dim, context_dim, dim_head, out_dim, out_bias=False): no biases,
// heads = out_dim / dim_head. `to_out.0` is the output projection (to_out.1 is a dropout).
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t query_dim, int64_t context_dim, int64_t head_dim, int64_t out_dim);
  // x [B, Lq, query_dim], context [B, Lk, context_dim], additive_mask [B, 1, Lk] or undefined.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context, const torch::Tensor& additive_mask);

  k3::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr}, to_out_0{nullptr};
  int64_t heads, head_dim;
};
TORCH_MODULE(Attention);

// GroupNorm without affine, modulated by the time embedding: GN(x) * (scale + 1) + shift.
class ConditionalGroupNormImpl : public torch::nn::Module {
 public:
  ConditionalGroupNormImpl(int64_t groups, int64_t channels, int64_t time_embed_dim);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time_embed);

  k3::nn::GroupNorm norm{nullptr};
  k3::nn::Linear context_linear{nullptr};  // registered as context_mlp.1 (context_mlp.0 is a SiLU)
};
TORCH_MODULE(ConditionalGroupNorm);

// Kandinsky3Block: CGN -> SiLU -> [ConvTranspose 2x2 up] -> conv k x k -> [conv 2x2 stride 2 down].
// `resample`: nullopt = none, true = up_sample, false = down_sample (diffusers' up_resolution).
class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(int64_t in_channels, int64_t out_channels, int64_t time_embed_dim, int64_t kernel, int64_t groups,
            std::optional<bool> resample);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time_embed);

  ConditionalGroupNorm group_norm{nullptr};
  k3::nn::ConvTranspose2d up_sample{nullptr};
  k3::nn::Conv2d projection{nullptr}, down_sample{nullptr};
};
TORCH_MODULE(Block);

using Resolutions = std::array<std::optional<bool>, 4>;

// Kandinsky3ResNetBlock: four Blocks (1x1, 3x3, 3x3, 1x1 through max(in,out)/compression
// channels) plus a shortcut that up/down-samples and projects like the main path.
class ResNetBlockImpl : public torch::nn::Module {
 public:
  ResNetBlockImpl(int64_t in_channels, int64_t out_channels, int64_t time_embed_dim, int64_t groups,
                  int64_t compression_ratio, const Resolutions& resolutions = {});
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time_embed);

  torch::nn::ModuleList resnet_blocks{nullptr};
  k3::nn::ConvTranspose2d shortcut_up_sample{nullptr};
  k3::nn::Conv2d shortcut_projection{nullptr}, shortcut_down_sample{nullptr};
};
TORCH_MODULE(ResNetBlock);

// Kandinsky3AttentionBlock: x + Attn(CGN(x)) then x + FF(CGN(x)), FF = 1x1 conv, SiLU, 1x1 conv.
// Self-attention when context_dim == 0.
class AttentionBlockImpl : public torch::nn::Module {
 public:
  AttentionBlockImpl(int64_t channels, int64_t time_embed_dim, int64_t context_dim, int64_t groups, int64_t head_dim,
                     int64_t expansion_ratio);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time_embed, const torch::Tensor& context = {},
                        const torch::Tensor& additive_mask = {});

  ConditionalGroupNorm in_norm{nullptr}, out_norm{nullptr};
  Attention attention{nullptr};
  k3::nn::Conv2d feed_forward_in{nullptr}, feed_forward_out{nullptr};  // feed_forward.0 / feed_forward.2
};
TORCH_MODULE(AttentionBlock);

struct LevelSpec {
  int64_t time_embed_dim, context_dim /* 0 = no cross-attention */, num_blocks, groups, head_dim, expansion_ratio,
      compression_ratio;
  bool self_attention;
};

// Kandinsky3DownSampleBlock: [self-attention] then num_blocks x (ResNet, [cross-attention], ResNet);
// the last ResNet halves the resolution when `down_sample`.
class DownSampleBlockImpl : public torch::nn::Module {
 public:
  DownSampleBlockImpl(int64_t in_channels, int64_t out_channels, const LevelSpec& spec, bool down_sample);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time_embed, const torch::Tensor& context,
                        const torch::Tensor& additive_mask);

  torch::nn::ModuleList attentions{nullptr}, resnets_in{nullptr}, resnets_out{nullptr};
  LevelSpec spec;
};
TORCH_MODULE(DownSampleBlock);

// Kandinsky3UpSampleBlock: num_blocks x (ResNet, [cross-attention], ResNet), the first ResNet
// doubling the resolution when `up_sample`; then [self-attention].
class UpSampleBlockImpl : public torch::nn::Module {
 public:
  UpSampleBlockImpl(int64_t in_channels, int64_t cat_channels, int64_t out_channels, const LevelSpec& spec,
                    bool up_sample);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& time_embed, const torch::Tensor& context,
                        const torch::Tensor& additive_mask);

  torch::nn::ModuleList attentions{nullptr}, resnets_in{nullptr}, resnets_out{nullptr};
  LevelSpec spec;
};
TORCH_MODULE(UpSampleBlock);

}  // namespace k3::unet
