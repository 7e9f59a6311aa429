// Follows transformers 4.39.3 models/dinov2/modeling_dinov2.py (Dinov2Embeddings with
// interpolate_pos_encoding, Dinov2Layer, Dinov2Backbone) and models/dpt/modeling_dpt.py
// (DPTViTEmbeddings._resize_pos_embed, DPTViTLayer, DPTModel hidden states).
#include "depth/vit_backbone.h"

#include "base/errors.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace k3::depth {

ViTAttentionImpl::ViTAttentionImpl(int64_t hidden, int64_t heads) : heads_(heads) {
  auto self = register_module("attention", std::make_shared<torch::nn::Module>());
  query = self->register_module("query", k3::nn::Linear(hidden, hidden));
  key = self->register_module("key", k3::nn::Linear(hidden, hidden));
  value = self->register_module("value", k3::nn::Linear(hidden, hidden));
  auto output = register_module("output", std::make_shared<torch::nn::Module>());
  dense = output->register_module("dense", k3::nn::Linear(hidden, hidden));
}

torch::Tensor ViTAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t b = x.size(0), n = x.size(1), c = x.size(2), d = c / heads_;
  auto split = [&](const torch::Tensor& t) { return t.view({b, n, heads_, d}).permute({0, 2, 1, 3}); };
  auto q = split(query(x)), k = split(key(x)), v = split(value(x));
  // matmul, then the division by sqrt(d), as transformers orders it (never baddbmm: trap 4).
  auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(d));
  auto context = torch::matmul(torch::softmax(scores, -1), v);
  return dense(context.permute({0, 2, 1, 3}).reshape({b, n, c}));
}

EncoderLayerImpl::EncoderLayerImpl(const BackboneConfig& config, bool dinov2) : dinov2_(dinov2) {
  const int64_t c = config.hidden_size, inner = config.intermediate_size;
  const double eps = config.layer_norm_eps;
  attention = register_module("attention", ViTAttention(c, config.num_heads));
  if (dinov2) {
    norm1 = register_module("norm1", k3::nn::LayerNorm(c, eps));
    auto scale1 = register_module("layer_scale1", std::make_shared<torch::nn::Module>());
    lambda1 = scale1->register_parameter("lambda1", torch::empty({c}), false);
    norm2 = register_module("norm2", k3::nn::LayerNorm(c, eps));
    auto mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
    fc1 = mlp->register_module("fc1", k3::nn::Linear(c, inner));
    fc2 = mlp->register_module("fc2", k3::nn::Linear(inner, c));
    auto scale2 = register_module("layer_scale2", std::make_shared<torch::nn::Module>());
    lambda2 = scale2->register_parameter("lambda1", torch::empty({c}), false);
  } else {
    auto intermediate = register_module("intermediate", std::make_shared<torch::nn::Module>());
    fc1 = intermediate->register_module("dense", k3::nn::Linear(c, inner));
    auto output = register_module("output", std::make_shared<torch::nn::Module>());
    fc2 = output->register_module("dense", k3::nn::Linear(inner, c));
    norm1 = register_module("layernorm_before", k3::nn::LayerNorm(c, eps));
    norm2 = register_module("layernorm_after", k3::nn::LayerNorm(c, eps));
  }
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor& x) {
  auto attended = attention(norm1(x));
  if (dinov2_) attended = attended * lambda1;
  auto h = attended + x;
  auto mlp = fc2(torch::gelu(fc1(norm2(h))));
  if (dinov2_) mlp = mlp * lambda2;
  return mlp + h;
}

PatchEmbeddingsImpl::PatchEmbeddingsImpl(const BackboneConfig& config, bool dinov2) : config_(config), dinov2_(dinov2) {
  const int64_t c = config.hidden_size, g = config.grid();
  cls_token = register_parameter("cls_token", torch::empty({1, 1, c}), false);
  if (dinov2) mask_token = register_parameter("mask_token", torch::empty({1, c}), false);  // training only
  position_embeddings = register_parameter("position_embeddings", torch::empty({1, g * g + 1, c}), false);
  auto patches = register_module("patch_embeddings", std::make_shared<torch::nn::Module>());
  projection = patches->register_module(
      "projection", k3::nn::Conv2d(3, c, config.patch_size, config.patch_size, 0, true));
}

torch::Tensor PatchEmbeddingsImpl::resized_positions(int64_t height, int64_t width) {
  const int64_t p = config_.patch_size, gh = height / p, gw = width / p;
  const int64_t stored = position_embeddings.size(1) - 1;
  const auto g0 = static_cast<int64_t>(std::sqrt(static_cast<double>(stored)));
  const int64_t c = position_embeddings.size(2);
  auto cls = position_embeddings.narrow(1, 0, 1);
  auto grid = position_embeddings.narrow(1, 1, stored).reshape({1, g0, g0, c}).permute({0, 3, 1, 2});
  torch::Tensor resized;
  if (dinov2_) {
    if (gh * gw == stored && height == width) return position_embeddings;
    // Scale factors (gh + 0.1) / g0, not a size: PyTorch maps coordinates with the given factors.
    const double sh = (static_cast<double>(gh) + 0.1) / std::sqrt(static_cast<double>(stored));
    const double sw = (static_cast<double>(gw) + 0.1) / std::sqrt(static_cast<double>(stored));
    const auto out_h = static_cast<int64_t>(std::floor(static_cast<double>(g0) * sh));
    const auto out_w = static_cast<int64_t>(std::floor(static_cast<double>(g0) * sw));
    if (out_h != gh || out_w != gw)
      throw ConfigError("position embeddings: expected a " + std::to_string(gh) + "x" + std::to_string(gw) +
                        " grid after interpolation, got " + std::to_string(out_h) + "x" + std::to_string(out_w));
    resized = at::upsample_bicubic2d(grid.to(torch::kFloat32), {out_h, out_w}, false, sh, sw).to(grid.scalar_type());
  } else {
    resized = at::upsample_bilinear2d(grid, {gh, gw}, false, c10::nullopt, c10::nullopt);
  }
  resized = resized.permute({0, 2, 3, 1}).reshape({1, gh * gw, c});
  return torch::cat({cls, resized}, 1);
}

torch::Tensor PatchEmbeddingsImpl::forward(const torch::Tensor& pixel_values, torch::Tensor* position_out) {
  const int64_t b = pixel_values.size(0), height = pixel_values.size(2), width = pixel_values.size(3);
  if (pixel_values.size(1) != 3)
    throw ConfigError("depth model input: expected 3 channels, got " + std::to_string(pixel_values.size(1)));
  if (height < config_.patch_size || width < config_.patch_size)
    throw ConfigError("depth model input: expected at least one " + std::to_string(config_.patch_size) + "-pixel patch, got " +
                      std::to_string(width) + "x" + std::to_string(height));
  auto patches = projection(pixel_values.to(projection->weight.scalar_type())).flatten(2).transpose(1, 2);
  auto x = torch::cat({cls_token.expand({b, -1, -1}), patches}, 1);
  auto positions = resized_positions(height, width);
  if (position_out) *position_out = positions;
  return x + positions;
}

ViTBackboneImpl::ViTBackboneImpl(const BackboneConfig& config, bool dinov2) : config_(config), dinov2_(dinov2) {
  embeddings = register_module("embeddings", PatchEmbeddings(config, dinov2));
  auto encoder = register_module("encoder", std::make_shared<torch::nn::Module>());
  layers = encoder->register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.num_layers; ++i) layers->push_back(EncoderLayer(config, dinov2));
  layernorm = register_module("layernorm", k3::nn::LayerNorm(config.hidden_size, config.layer_norm_eps));
}

std::vector<torch::Tensor> ViTBackboneImpl::forward(const torch::Tensor& pixel_values, torch::Tensor* position_out,
                                                    torch::Tensor* embeddings_out) {
  auto x = embeddings(pixel_values, position_out);
  if (embeddings_out) *embeddings_out = x;
  std::vector<torch::Tensor> states{x};
  int64_t last = 0;
  for (auto layer : config_.out_layers) last = std::max(last, layer);
  for (int64_t i = 0; i < last; ++i) {
    x = layers[static_cast<std::size_t>(i)]->as<EncoderLayer>()->forward(x);
    states.push_back(x);
  }
  std::vector<torch::Tensor> out;
  // DINOv2 applies its final layernorm to each selected stage; DPT's layernorm does not reach the neck.
  for (auto layer : config_.out_layers)
    out.push_back(dinov2_ ? layernorm(states[static_cast<std::size_t>(layer)]) : states[static_cast<std::size_t>(layer)]);
  return out;
}

}  // namespace k3::depth
