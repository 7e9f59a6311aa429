#pragma once
// MoVQ: diffusers' VQModel with a SpatialNorm decoder (norm_type "spatial"), the image <-> latent
// autoencoder of Kandinsky 3.0. Parameter names equal the checkpoint keys (kandinsky3-movq-keys.txt).
// Follows diffusers models/autoencoders/vq_model.py, models/autoencoders/vae.py (Encoder, Decoder)
// and models/autoencoders/vae.py / vector_quantizer (VectorQuantizer, legacy mode).
#include "src/models/movq_blocks.h"
#include "src/models/movq_config.h"
#include "src/nn/nn_layers.h"

#include <torch/torch.h>

namespace k3 {

class MoVQEncoderImpl : public torch::nn::Module {
 public:
  explicit MoVQEncoderImpl(const MoVQConfig& config);
  torch::Tensor forward(const torch::Tensor& image);
  k3::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList down_blocks{nullptr};
  movq::MidBlock mid_block{nullptr};
  k3::nn::GroupNorm conv_norm_out{nullptr};
};
TORCH_MODULE(MoVQEncoder);

class MoVQDecoderImpl : public torch::nn::Module {
 public:
  explicit MoVQDecoderImpl(const MoVQConfig& config);
  // z: post_quant_conv output; zq: the latent the SpatialNorms are conditioned on.
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& zq);
  k3::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  movq::MidBlock mid_block{nullptr};
  torch::nn::ModuleList up_blocks{nullptr};
  movq::ConditionedNorm conv_norm_out;
};
TORCH_MODULE(MoVQDecoder);

class VQModelImpl : public torch::nn::Module {
 public:
  // `with_codebook` false leaves out quantize.embedding (the pipelines never quantise; some
  // checkpoints may not carry it); the quantised paths then throw.
  explicit VQModelImpl(const MoVQConfig& config, bool with_codebook = true);

  // image [B, in_channels, H, W] in [-1, 1] (H, W multiples of the downscale factor) ->
  // latents [B, vq_embed_dim, H/f, W/f]: quant_conv output, not quantised, not scaled.
  torch::Tensor encode(const torch::Tensor& image);
  // Nearest codebook entry per latent pixel (L2), as VectorQuantizer's forward returns it.
  torch::Tensor quantize(const torch::Tensor& latents);
  // latents -> image (raw decoder output, about [-1, 1]). force_not_quantize=true is what both
  // Kandinsky 3 pipelines use; false snaps the latents to the codebook first.
  torch::Tensor decode(const torch::Tensor& latents, bool force_not_quantize = true);

  const MoVQConfig& config() const { return config_; }
  bool has_codebook() const { return static_cast<bool>(codebook); }

  MoVQEncoder encoder{nullptr};
  k3::nn::Conv2d quant_conv{nullptr}, post_quant_conv{nullptr};
  k3::nn::Embedding codebook{nullptr};  // quantize.embedding
  MoVQDecoder decoder{nullptr};

 private:
  MoVQConfig config_;
};
TORCH_MODULE(VQModel);

}  // namespace k3
