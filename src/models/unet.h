#pragma once
// Kandinsky3UNet: the noise-prediction network of Kandinsky 3.0, built from a UNetConfig.
// Parameter names equal the diffusers checkpoint keys (kandinsky3-unet-keys.txt).
// Built with uninitialised layers: constructing the full-size network (3.06e9 parameters)
// touches no memory until weights are loaded.
// Follows diffusers models/unets/unet_kandinsky3.py (Kandinsky3UNet).
#include "src/nn/nn_layers.h"
#include "src/models/unet_blocks.h"
#include "src/models/unet_config.h"

#include <torch/torch.h>

#include <functional>

namespace k3 {

class Kandinsky3UNetImpl : public torch::nn::Module {
 public:
  explicit Kandinsky3UNetImpl(const UNetConfig& config);

  // sample [B, in_channels, h, w] (h, w multiples of 8); timestep int64 0-d (broadcast) or [B];
  // encoder_hidden_states [B, L, encoder_hid_dim]; encoder_attention_mask [B, L] bool or 0/1
  // (1 = attend; required, as in diffusers). Returns the noise prediction, shaped like sample.
  torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                        const torch::Tensor& encoder_hidden_states, const torch::Tensor& encoder_attention_mask);

  // forward() in two halves: the text projection (encoder_hid_proj), then the network on an
  // already projected context [B, L, cross_attention_dim]. The original sampler needs the split
  // to put its learned null_embedding into the projected context of the unconditional rows.
  torch::Tensor project_context(const torch::Tensor& encoder_hidden_states);
  torch::Tensor forward_projected(const torch::Tensor& sample, const torch::Tensor& timestep,
                                  const torch::Tensor& context, const torch::Tensor& encoder_attention_mask);

  // The sinusoidal timestep features (diffusers Timesteps(init_channels, flip_sin_to_cos=False,
  // downscale_freq_shift=1)), float32 [B, init_channels].
  torch::Tensor time_features(const torch::Tensor& timesteps) const;

  const UNetConfig& config() const { return config_; }

  // time_embedding.linear_1 / linear_2
  k3::nn::Linear time_linear_1{nullptr}, time_linear_2{nullptr};
  unet::Attention pooling_attention{nullptr};  // add_time_condition.attention
  k3::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  k3::nn::Linear projection_linear{nullptr};  // encoder_hid_proj.projection_linear
  k3::nn::LayerNorm projection_norm{nullptr};  // encoder_hid_proj.projection_norm
  // Called with each down/up block just before (entering = true) and after it runs; sequential
  // offloading moves the block's weights to the device and back here. Empty = nothing.
  std::function<void(torch::nn::Module& block, bool entering)> block_hook;
  torch::nn::ModuleList down_blocks{nullptr}, up_blocks{nullptr};
  k3::nn::GroupNorm conv_norm_out{nullptr};

 private:
  UNetConfig config_;
};
TORCH_MODULE(Kandinsky3UNet);

}  // namespace k3
