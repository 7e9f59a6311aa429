#pragma once
// Building blocks of MoVQ's encoder and decoder: normalisation (GroupNorm, or SpatialNorm
// conditioned on the quantised latent), ResNet blocks, single-head VAE attention, resamplers.
// Member names mirror diffusers' so parameter names equal checkpoint keys.
// Follows diffusers models/attention_processor.py (SpatialNorm, Attention with
// _from_deprecated_attn_block), models/resnet.py (ResnetBlock2D, ResnetBlockCondNorm2D),
// models/upsampling.py (Upsample2D), models/downsampling.py (Downsample2D).
#include "src/nn/nn_layers.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace k3::movq {

// GN(f) * conv_y(zq') + conv_b(zq'), zq' = zq resized (nearest) to f's size.
class SpatialNormImpl : public torch::nn::Module {
 public:
  SpatialNormImpl(int64_t channels, int64_t zq_channels);
  torch::Tensor forward(const torch::Tensor& f, const torch::Tensor& zq);
  k3::nn::GroupNorm norm_layer{nullptr};
  k3::nn::Conv2d conv_y{nullptr}, conv_b{nullptr};
};
TORCH_MODULE(SpatialNorm);

// How a block normalises: plain GroupNorm (encoder) or SpatialNorm (MoVQ decoder).
struct NormSpec {
  bool spatial = false;
  int64_t groups = 32;       // GroupNorm groups when not spatial
  int64_t zq_channels = 0;   // latent channels when spatial
  double eps = 1e-6;
};

// One normalisation registered under `name` in `parent`: either kind, one forward.
class ConditionedNorm {
 public:
  ConditionedNorm() = default;
  ConditionedNorm(torch::nn::Module& parent, const std::string& name, int64_t channels, const NormSpec& spec);
  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& zq);

 private:
  k3::nn::GroupNorm group_{nullptr};
  SpatialNorm spatial_{nullptr};
};

// ResnetBlock2D / ResnetBlockCondNorm2D without time embedding: norm1, SiLU, conv1, norm2, SiLU,
// conv2, plus conv_shortcut (1x1) when the channel count changes.
class ResnetBlockImpl : public torch::nn::Module {
 public:
  ResnetBlockImpl(int64_t in_channels, int64_t out_channels, const NormSpec& norm);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& zq = {});
  ConditionedNorm norm1, norm2;
  k3::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
};
TORCH_MODULE(ResnetBlock);

// Attention(C, heads = C / head_dim, bias=True, residual_connection=True, upcast_softmax=True):
// norm (group_norm or spatial_norm), to_q/to_k/to_v/to_out.0 with biases, residual added.
class VaeAttentionImpl : public torch::nn::Module {
 public:
  VaeAttentionImpl(int64_t channels, int64_t head_dim, const NormSpec& norm);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& zq = {});
  ConditionedNorm norm;
  k3::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr}, to_out_0{nullptr};
  int64_t heads, head_dim;
};
TORCH_MODULE(VaeAttention);

// Downsample2D(use_conv, padding=0): zero-pad right/bottom by 1, 3x3 conv stride 2 (key `conv`).
class DownsampleImpl : public torch::nn::Module {
 public:
  explicit DownsampleImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  k3::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Downsample);

// Upsample2D(use_conv): nearest x2, 3x3 conv (key `conv`).
class UpsampleImpl : public torch::nn::Module {
 public:
  explicit UpsampleImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  k3::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample);

// A level of the encoder or decoder: resnets (each optionally followed by an attention), then
// an optional resampler (downsamplers.0 / upsamplers.0). Also the mid block (resnet, attention,
// resnet) through `mid`.
class LevelBlockImpl : public torch::nn::Module {
 public:
  enum class Resample { none, down, up };
  LevelBlockImpl(int64_t in_channels, int64_t out_channels, int64_t num_resnets, bool with_attention,
                 Resample resample, const NormSpec& norm);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& zq = {});
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr};
  Downsample downsampler{nullptr};
  Upsample upsampler{nullptr};
};
TORCH_MODULE(LevelBlock);

// UNetMidBlock2D with one layer: resnets.0, [attentions.0], resnets.1.
class MidBlockImpl : public torch::nn::Module {
 public:
  MidBlockImpl(int64_t channels, bool with_attention, const NormSpec& norm);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& zq = {});
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr};
};
TORCH_MODULE(MidBlock);

}  // namespace k3::movq
