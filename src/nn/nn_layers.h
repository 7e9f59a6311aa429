#pragma once
// Leaf layers for checkpoint-loaded models. Unlike torch::nn's layers they allocate their
// parameters uninitialised (torch::empty): weights always come from a checkpoint, and an
// untouched allocation costs no resident memory, so the full-size 3B UNet or the 4.7B T5
// encoder can be built just to list its parameter names and shapes (k3anim inspect).
// Parameter names equal PyTorch's (weight, bias) so checkpoint keys map one to one.
#include <torch/torch.h>

#include <cstdint>

namespace k3::nn {

class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int64_t in_features, int64_t out_features, bool bias = true);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;  // bias undefined when absent
};
TORCH_MODULE(Linear);

class Conv2dImpl : public torch::nn::Module {
 public:
  Conv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
             bool bias = true);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
  int64_t stride, padding;
};
TORCH_MODULE(Conv2d);

class ConvTranspose2dImpl : public torch::nn::Module {
 public:
  ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1, bool bias = true);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;  // weight: [in, out, k, k] as PyTorch stores it
  int64_t stride;
};
TORCH_MODULE(ConvTranspose2d);

class GroupNormImpl : public torch::nn::Module {
 public:
  GroupNormImpl(int64_t groups, int64_t channels, double eps = 1e-5, bool affine = true);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;  // undefined when not affine
  int64_t groups;
  double eps;
};
TORCH_MODULE(GroupNorm);

class LayerNormImpl : public torch::nn::Module {
 public:
  LayerNormImpl(int64_t dim, double eps = 1e-5, bool affine = true);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
  int64_t dim;
  double eps;
};
TORCH_MODULE(LayerNorm);

class EmbeddingImpl : public torch::nn::Module {
 public:
  EmbeddingImpl(int64_t count, int64_t dim);
  torch::Tensor forward(const torch::Tensor& ids);
  torch::Tensor weight;
};
TORCH_MODULE(Embedding);

// Fills every parameter of `module` with deterministic random values (normal, std 0.02;
// norm weights stay around 1 only if the caller wants: this is for benchmarks and shape checks,
// never for parity). Touches all memory.
void fill_random_(torch::nn::Module& module, uint64_t seed);

// Total number of elements over all parameters (no memory touched).
int64_t parameter_count(const torch::nn::Module& module);

}  // namespace k3::nn
