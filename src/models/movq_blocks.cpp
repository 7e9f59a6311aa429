// Follows diffusers models/attention_processor.py (SpatialNorm, AttnProcessor for
// _from_deprecated_attn_block attentions), models/resnet.py (ResnetBlock2D, ResnetBlockCondNorm2D),
// models/upsampling.py (Upsample2D), models/downsampling.py (Downsample2D),
// models/unets/unet_2d_blocks.py (DownEncoderBlock2D, AttnDownEncoderBlock2D, UpDecoderBlock2D,
// AttnUpDecoderBlock2D, UNetMidBlock2D).
#include "src/models/movq_blocks.h"

#include "src/nn/attention.h"
#include "src/nn/conv_dispatch.h"

#include <cmath>

namespace k3::movq {

namespace {
// Nearest resizing is exact in any dtype; CPU kernels lack bfloat16 in libtorch 1.13.
torch::Tensor resize_nearest(const torch::Tensor& x, int64_t height, int64_t width) {
  if (x.size(2) == height && x.size(3) == width) return x;
  if (x.scalar_type() == torch::kBFloat16)
    return at::upsample_nearest2d(x.to(torch::kFloat), {height, width}).to(torch::kBFloat16);
  return at::upsample_nearest2d(x, {height, width});
}
}  // namespace

SpatialNormImpl::SpatialNormImpl(int64_t channels, int64_t zq_channels) {
  norm_layer = register_module("norm_layer", k3::nn::GroupNorm(32, channels, 1e-6));
  conv_y = register_module("conv_y", k3::nn::Conv2d(zq_channels, channels, 1));
  conv_b = register_module("conv_b", k3::nn::Conv2d(zq_channels, channels, 1));
}

torch::Tensor SpatialNormImpl::forward(const torch::Tensor& f, const torch::Tensor& zq) {
  // norm(f) * conv_y(z) + conv_b(z) with z = zq resized to f's size, in place on the fresh norm
  // output: one full-size temporary alive instead of four. At 1024 px the decoder's tensors are
  // 1-2 GiB each, so this decides whether the CPU plan fits.
  auto out = norm_layer(f);
  const int64_t batch = f.size(0), channels = f.size(1), h = zq.size(2), w = zq.size(3);
  if (out.is_contiguous() && f.size(2) % h == 0 && f.size(3) % w == 0) {
    // Nearest resizing by whole factors repeats each latent pixel, and a 1x1 convolution works
    // pixel by pixel: convolved at the latent's size and broadcast over the repeats, the factors
    // are the same numbers, without two full-size convolutions and maps per norm.
    auto blocks = out.view({batch, channels, h, f.size(2) / h, w, f.size(3) / w});
    blocks.mul_(conv2d(*conv_y, zq).view({batch, channels, h, 1, w, 1}));
    blocks.add_(conv2d(*conv_b, zq).view({batch, channels, h, 1, w, 1}));
    return out;
  }
  auto z = resize_nearest(zq, f.size(2), f.size(3));
  out.mul_(conv2d(*conv_y, z));
  return out.add_(conv2d(*conv_b, z));
}

ConditionedNorm::ConditionedNorm(torch::nn::Module& parent, const std::string& name, int64_t channels,
                                 const NormSpec& spec) {
  if (spec.spatial) spatial_ = parent.register_module(name, SpatialNorm(channels, spec.zq_channels));
  else group_ = parent.register_module(name, k3::nn::GroupNorm(spec.groups, channels, spec.eps));
}

torch::Tensor ConditionedNorm::operator()(const torch::Tensor& x, const torch::Tensor& zq) {
  if (spatial_) {
    TORCH_CHECK(zq.defined(), "a SpatialNorm needs the quantised latent");
    return spatial_->forward(x, zq);
  }
  return group_->forward(x);
}

ResnetBlockImpl::ResnetBlockImpl(int64_t in_channels, int64_t out_channels, const NormSpec& spec) {
  norm1 = ConditionedNorm(*this, "norm1", in_channels, spec);
  conv1 = register_module("conv1", k3::nn::Conv2d(in_channels, out_channels, 3, 1, 1));
  norm2 = ConditionedNorm(*this, "norm2", out_channels, spec);
  conv2 = register_module("conv2", k3::nn::Conv2d(out_channels, out_channels, 3, 1, 1));
  if (in_channels != out_channels)
    conv_shortcut = register_module("conv_shortcut", k3::nn::Conv2d(in_channels, out_channels, 1));
}

torch::Tensor ResnetBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& zq) {
  // Each intermediate is dropped as soon as the next one exists, and the activations and the
  // residual sum work in place (silu_ and add_ compute what silu and + compute; a + b == b + a).
  auto n = norm1(x, zq);
  auto h = conv2d(*conv1, torch::silu_(n));
  n = torch::Tensor();
  n = norm2(h, zq);
  torch::silu_(n);
  h = torch::Tensor();
  h = conv2d(*conv2, n);
  n = torch::Tensor();
  return h.add_(conv_shortcut ? conv2d(*conv_shortcut, x) : x);
}

VaeAttentionImpl::VaeAttentionImpl(int64_t channels, int64_t head_dim_, const NormSpec& spec)
    : heads(channels / head_dim_), head_dim(head_dim_) {
  norm = ConditionedNorm(*this, spec.spatial ? "spatial_norm" : "group_norm", channels, spec);
  to_q = register_module("to_q", k3::nn::Linear(channels, channels));
  to_k = register_module("to_k", k3::nn::Linear(channels, channels));
  to_v = register_module("to_v", k3::nn::Linear(channels, channels));
  torch::nn::ModuleList to_out;
  to_out_0 = k3::nn::Linear(channels, channels);
  to_out->push_back(to_out_0);
  register_module("to_out", to_out);
}

torch::Tensor VaeAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& zq) {
  const auto batch = x.size(0), channels = x.size(1), height = x.size(2), width = x.size(3);
  auto tokens = norm(x, zq).view({batch, channels, height * width}).transpose(1, 2);
  auto out = multi_head_attention(to_q(tokens), to_k(tokens), to_v(tokens), heads,
                                  1.0 / std::sqrt(static_cast<double>(head_dim)));
  out = to_out_0(out).transpose(1, 2).reshape({batch, channels, height, width});
  return out + x;
}

DownsampleImpl::DownsampleImpl(int64_t channels) {
  conv = register_module("conv", k3::nn::Conv2d(channels, channels, 3, 2, 0));
}

torch::Tensor DownsampleImpl::forward(const torch::Tensor& x) {
  return conv2d(*conv, torch::constant_pad_nd(x, {0, 1, 0, 1}, 0));
}

UpsampleImpl::UpsampleImpl(int64_t channels) {
  conv = register_module("conv", k3::nn::Conv2d(channels, channels, 3, 1, 1));
}

torch::Tensor UpsampleImpl::forward(const torch::Tensor& x) {
  return conv2d(*conv, resize_nearest(x, x.size(2) * 2, x.size(3) * 2));
}

LevelBlockImpl::LevelBlockImpl(int64_t in_channels, int64_t out_channels, int64_t num_resnets, bool with_attention,
                               Resample resample, const NormSpec& spec) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  if (with_attention) attentions = register_module("attentions", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_resnets; ++i) {
    resnets->push_back(ResnetBlock(i == 0 ? in_channels : out_channels, out_channels, spec));
    // attention_head_dim = channels: one head over all channels
    if (with_attention) attentions->push_back(VaeAttention(out_channels, out_channels, spec));
  }
  if (resample == Resample::down) {
    torch::nn::ModuleList list;
    downsampler = Downsample(out_channels);
    list->push_back(downsampler);
    register_module("downsamplers", list);
  } else if (resample == Resample::up) {
    torch::nn::ModuleList list;
    upsampler = Upsample(out_channels);
    list->push_back(upsampler);
    register_module("upsamplers", list);
  }
}

torch::Tensor LevelBlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& zq) {
  auto x = x_in;
  for (size_t i = 0; i < resnets->size(); ++i) {
    x = resnets[i]->as<ResnetBlockImpl>()->forward(x, zq);
    if (attentions) x = attentions[i]->as<VaeAttentionImpl>()->forward(x, zq);
  }
  if (downsampler) x = downsampler(x);
  if (upsampler) x = upsampler(x);
  return x;
}

MidBlockImpl::MidBlockImpl(int64_t channels, bool with_attention, const NormSpec& spec) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  if (with_attention) {
    attentions = register_module("attentions", torch::nn::ModuleList());
    attentions->push_back(VaeAttention(channels, channels, spec));
  }
  resnets->push_back(ResnetBlock(channels, channels, spec));
  resnets->push_back(ResnetBlock(channels, channels, spec));
}

torch::Tensor MidBlockImpl::forward(const torch::Tensor& x_in, const torch::Tensor& zq) {
  auto x = resnets[0]->as<ResnetBlockImpl>()->forward(x_in, zq);
  if (attentions) x = attentions[0]->as<VaeAttentionImpl>()->forward(x, zq);
  return resnets[1]->as<ResnetBlockImpl>()->forward(x, zq);
}

}  // namespace k3::movq
