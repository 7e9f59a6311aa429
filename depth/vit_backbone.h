#pragma once
// The ViT-style backbones of the depth models, by transformers' module names:
// Dinov2Backbone (Depth Anything: "backbone.") and DPTViTEmbeddings + ViT encoder (DPT: "dpt.").
#include "depth/depth_config.h"
#include "src/nn/nn_layers.h"

#include <torch/torch.h>

#include <vector>

namespace k3::depth {

// Self-attention with transformers' names: attention.{query,key,value}, output.dense.
class ViTAttentionImpl : public torch::nn::Module {
 public:
  ViTAttentionImpl(int64_t hidden, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t heads_;
  k3::nn::Linear query{nullptr}, key{nullptr}, value{nullptr}, dense{nullptr};
};
TORCH_MODULE(ViTAttention);

// One encoder layer: DINOv2's (norm1, layer_scale1, norm2, mlp.fc1/fc2, layer_scale2) or
// DPT's ViT layer (layernorm_before, intermediate.dense, output.dense, layernorm_after).
class EncoderLayerImpl : public torch::nn::Module {
 public:
  EncoderLayerImpl(const BackboneConfig& config, bool dinov2);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  bool dinov2_;
  ViTAttention attention{nullptr};
  k3::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  k3::nn::Linear fc1{nullptr}, fc2{nullptr};
  torch::Tensor lambda1, lambda2;  // DINOv2 layer scales
};
TORCH_MODULE(EncoderLayer);

// Patch embeddings, cls token and position table, resized to the input's patch grid the way
// each model does it (DINOv2: bicubic by scale factors in float32; DPT: bilinear to the grid).
class PatchEmbeddingsImpl : public torch::nn::Module {
 public:
  PatchEmbeddingsImpl(const BackboneConfig& config, bool dinov2);
  // [B, 1 + gh*gw, C]; `position_out` receives the resized position table when given.
  torch::Tensor forward(const torch::Tensor& pixel_values, torch::Tensor* position_out = nullptr);
  torch::Tensor resized_positions(int64_t height, int64_t width);

 private:
  BackboneConfig config_;
  bool dinov2_;
  torch::Tensor cls_token, mask_token, position_embeddings;
  k3::nn::Conv2d projection{nullptr};
};
TORCH_MODULE(PatchEmbeddings);

// embeddings + encoder.layer.{i} + layernorm. Returns the hidden states after the configured
// out layers (DINOv2 through the final layernorm, DPT raw, as each model feeds its neck).
class ViTBackboneImpl : public torch::nn::Module {
 public:
  ViTBackboneImpl(const BackboneConfig& config, bool dinov2);
  std::vector<torch::Tensor> forward(const torch::Tensor& pixel_values, torch::Tensor* position_out = nullptr,
                                     torch::Tensor* embeddings_out = nullptr);

 private:
  BackboneConfig config_;
  bool dinov2_;
  PatchEmbeddings embeddings{nullptr};
  torch::nn::ModuleList layers{nullptr};
  k3::nn::LayerNorm layernorm{nullptr};
};
TORCH_MODULE(ViTBackbone);

}  // namespace k3::depth
