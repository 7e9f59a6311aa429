// Follows diffusers models/autoencoders/vq_model.py (VQModel), models/autoencoders/vae.py
// (Encoder, Decoder, VectorQuantizer with legacy=True).
#include "src/models/movq.h"

#include "src/nn/conv_dispatch.h"
#include "base/errors.h"

namespace k3 {

namespace {
struct GroupImpl : torch::nn::Module {};
TORCH_MODULE(Group);

movq::NormSpec encoder_norm(const MoVQConfig& c) { return {false, c.norm_num_groups, 0, 1e-6}; }
movq::NormSpec decoder_norm(const MoVQConfig& c) {
  if (c.norm_type == "spatial") return {true, MoVQConfig::spatial_norm_groups, c.latent_channels, 1e-6};
  return encoder_norm(c);
}
}  // namespace

MoVQEncoderImpl::MoVQEncoderImpl(const MoVQConfig& c) {
  const auto norm = encoder_norm(c);
  const auto& channels = c.block_out_channels;
  conv_in = register_module("conv_in", k3::nn::Conv2d(c.in_channels, channels[0], 3, 1, 1));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  int64_t out = channels[0];
  for (size_t i = 0; i < channels.size(); ++i) {
    const int64_t in = out;
    out = channels[i];
    const bool last = i + 1 == channels.size();
    down_blocks->push_back(movq::LevelBlock(in, out, c.layers_per_block, c.down_block_types[i] == "AttnDownEncoderBlock2D",
                                            last ? movq::LevelBlockImpl::Resample::none
                                                 : movq::LevelBlockImpl::Resample::down,
                                            norm));
  }
  mid_block = register_module("mid_block", movq::MidBlock(channels.back(), c.mid_block_add_attention, norm));
  conv_norm_out = register_module("conv_norm_out", k3::nn::GroupNorm(c.norm_num_groups, channels.back(), 1e-6));
  conv_out = register_module("conv_out", k3::nn::Conv2d(channels.back(), c.latent_channels, 3, 1, 1));
}

torch::Tensor MoVQEncoderImpl::forward(const torch::Tensor& image) {
  auto x = conv2d(*conv_in, image);
  for (const auto& block : *down_blocks) x = block->as<movq::LevelBlockImpl>()->forward(x);
  x = mid_block(x);
  return conv2d(*conv_out, torch::silu(conv_norm_out(x)));
}

MoVQDecoderImpl::MoVQDecoderImpl(const MoVQConfig& c) {
  const auto norm = decoder_norm(c);
  const std::vector<int64_t> reversed(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  conv_in = register_module("conv_in", k3::nn::Conv2d(c.latent_channels, reversed[0], 3, 1, 1));
  mid_block = register_module("mid_block", movq::MidBlock(reversed[0], c.mid_block_add_attention, norm));
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  int64_t out = reversed[0];
  for (size_t i = 0; i < reversed.size(); ++i) {
    const int64_t in = out;
    out = reversed[i];
    const bool last = i + 1 == reversed.size();
    up_blocks->push_back(movq::LevelBlock(in, out, c.layers_per_block + 1, c.up_block_types[i] == "AttnUpDecoderBlock2D",
                                          last ? movq::LevelBlockImpl::Resample::none
                                               : movq::LevelBlockImpl::Resample::up,
                                          norm));
  }
  conv_norm_out = movq::ConditionedNorm(*this, "conv_norm_out", c.block_out_channels[0], norm);
  conv_out = register_module("conv_out", k3::nn::Conv2d(c.block_out_channels[0], c.out_channels, 3, 1, 1));
}

torch::Tensor MoVQDecoderImpl::forward(const torch::Tensor& z, const torch::Tensor& zq) {
  auto x = conv2d(*conv_in, z);
  x = mid_block(x, zq);
  for (const auto& block : *up_blocks) x = block->as<movq::LevelBlockImpl>()->forward(x, zq);
  return conv2d(*conv_out, torch::silu(conv_norm_out(x, zq)));
}

VQModelImpl::VQModelImpl(const MoVQConfig& config, bool with_codebook) : config_(config) {
  const auto& c = config_;
  encoder = register_module("encoder", MoVQEncoder(c));
  quant_conv = register_module("quant_conv", k3::nn::Conv2d(c.latent_channels, c.vq_embed_dim, 1));
  if (with_codebook) {
    auto quantize_group = register_module("quantize", Group());
    codebook = quantize_group->register_module("embedding", k3::nn::Embedding(c.num_vq_embeddings, c.vq_embed_dim));
  }
  post_quant_conv = register_module("post_quant_conv", k3::nn::Conv2d(c.vq_embed_dim, c.latent_channels, 1));
  decoder = register_module("decoder", MoVQDecoder(c));
}

torch::Tensor VQModelImpl::encode(const torch::Tensor& image) {
  if (image.dim() != 4 || image.size(1) != config_.in_channels)
    throw ConfigError("MoVQ encode: expected an image [B, " + std::to_string(config_.in_channels) + ", H, W], got " +
                      c10::str(image.sizes()));
  const auto f = config_.downscale_factor();
  if (image.size(2) % f != 0 || image.size(3) % f != 0)
    throw ConfigError("MoVQ encode: expected height and width multiples of " + std::to_string(f) + ", got " +
                      std::to_string(image.size(2)) + "x" + std::to_string(image.size(3)));
  return conv2d(*quant_conv, encoder(image.contiguous()));
}

torch::Tensor VQModelImpl::quantize(const torch::Tensor& latents) {
  if (!codebook) throw WeightError("MoVQ quantize: this model was built without quantize.embedding.weight");
  auto z = latents.permute({0, 2, 3, 1}).contiguous();
  auto flat = z.view({-1, config_.vq_embed_dim});
  auto indices = torch::argmin(torch::cdist(flat, codebook->weight), 1);
  auto z_q = codebook(indices).view(z.sizes());
  z_q = z + (z_q - z);  // the straight-through estimator's forward value, rounded as diffusers rounds it
  return z_q.permute({0, 3, 1, 2}).contiguous();
}

torch::Tensor VQModelImpl::decode(const torch::Tensor& latents, bool force_not_quantize) {
  if (latents.dim() != 4 || latents.size(1) != config_.vq_embed_dim)
    throw ConfigError("MoVQ decode: expected latents [B, " + std::to_string(config_.vq_embed_dim) + ", h, w], got " +
                      c10::str(latents.sizes()));
  if (force_not_quantize && config_.lookup_from_codebook)
    throw ConfigError("MoVQ decode: lookup_from_codebook=true (latents as codebook indices) is not supported");
  auto quant = force_not_quantize ? latents : quantize(latents);
  return decoder(conv2d(*post_quant_conv, quant), quant);
}

}  // namespace k3
