// Follows torch.nn's Linear / Conv2d / ConvTranspose2d / GroupNorm / LayerNorm / Embedding
// parameter layouts, with uninitialised allocation (see nn_layers.h).
#include "src/nn/nn_layers.h"
#include "src/nn/group_norm.h"

namespace k3::nn {

namespace F = torch::nn::functional;

LinearImpl::LinearImpl(int64_t in_features, int64_t out_features, bool has_bias) {
  weight = register_parameter("weight", torch::empty({out_features, in_features}), /*requires_grad=*/false);
  if (has_bias) bias = register_parameter("bias", torch::empty({out_features}), false);
}
torch::Tensor LinearImpl::forward(const torch::Tensor& x) { return torch::linear(x, weight, bias); }

Conv2dImpl::Conv2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride_, int64_t padding_,
                       bool has_bias)
    : stride(stride_), padding(padding_) {
  weight = register_parameter("weight", torch::empty({out_channels, in_channels, kernel, kernel}), false);
  if (has_bias) bias = register_parameter("bias", torch::empty({out_channels}), false);
}
torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) {
  return torch::conv2d(x, weight, bias, {stride, stride}, {padding, padding});
}

ConvTranspose2dImpl::ConvTranspose2dImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride_,
                                         bool has_bias)
    : stride(stride_) {
  weight = register_parameter("weight", torch::empty({in_channels, out_channels, kernel, kernel}), false);
  if (has_bias) bias = register_parameter("bias", torch::empty({out_channels}), false);
}
torch::Tensor ConvTranspose2dImpl::forward(const torch::Tensor& x) {
  return torch::conv_transpose2d(x, weight, bias, {stride, stride});
}

GroupNormImpl::GroupNormImpl(int64_t groups_, int64_t channels, double eps_, bool affine) : groups(groups_), eps(eps_) {
  if (affine) {
    weight = register_parameter("weight", torch::empty({channels}), false);
    bias = register_parameter("bias", torch::empty({channels}), false);
  }
}
torch::Tensor group_norm_by_reductions(const torch::Tensor& x, int64_t groups, const torch::Tensor& weight,
                                       const torch::Tensor& bias, double eps) {
  const int64_t n = x.size(0), c = x.size(1);
  const std::vector<int64_t> within_group{2};
  auto grouped = x.reshape({n, groups, -1});
  const double count = static_cast<double>(grouped.size(2));
  // Sums read the input in its own dtype and accumulate in float32, with no float copy of it.
  auto mean = grouped.sum(within_group, false, torch::kFloat).div_(count);
  auto mean_square =
      torch::linalg_vector_norm(grouped, 2, within_group, false, torch::kFloat).square_().div_(count);
  auto variance = (mean_square - mean * mean).clamp_min_(0.0);
  // Per channel of each sample; expand, not repeat_interleave (whose output size is read back
  // from the device: no synchronisation may happen inside a CUDA graph).
  auto per_channel = [&](const torch::Tensor& per_group) {
    return per_group.unsqueeze(2).expand({n, groups, c / groups}).reshape({n * c});
  };
  auto options = torch::TensorOptions().dtype(torch::kFloat).device(x.device());
  auto scale = weight.defined() ? weight.to(torch::kFloat).repeat({n}) : torch::ones({n * c}, options);
  auto shift = bias.defined() ? bias.to(torch::kFloat).repeat({n}) : torch::zeros({n * c}, options);
  return torch::batch_norm(x.reshape({1, n * c, -1}), scale, shift, per_channel(mean), per_channel(variance),
                           /*training=*/false, 0.0, eps, /*cudnn_enabled=*/false)
      .view(x.sizes());
}

torch::Tensor GroupNormImpl::forward(const torch::Tensor& x) {
  // Few groups of many elements (the MoVQ's and the UNet's first levels): libtorch's kernel
  // leaves most of the GPU idle there (see group_norm_by_reductions).
  const int64_t blocks = x.size(0) * groups;
  if (x.is_cuda() && x.dim() == 4 && x.is_contiguous() && blocks < 256 && x.numel() / blocks >= 65536)
    return group_norm_by_reductions(x, groups, weight, bias, eps);
  return torch::group_norm(x, groups, weight, bias, eps);
}

LayerNormImpl::LayerNormImpl(int64_t dim_, double eps_, bool affine) : dim(dim_), eps(eps_) {
  if (affine) {
    weight = register_parameter("weight", torch::empty({dim_}), false);
    bias = register_parameter("bias", torch::empty({dim_}), false);
  }
}
torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) { return torch::layer_norm(x, {dim}, weight, bias, eps); }

EmbeddingImpl::EmbeddingImpl(int64_t count, int64_t dim) {
  weight = register_parameter("weight", torch::empty({count, dim}), false);
}
torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids) { return torch::embedding(weight, ids); }

void fill_random_(torch::nn::Module& module, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  for (auto& parameter : module.parameters()) {
    if (parameter.dim() == 1) parameter.normal_(0.0, 0.02, generator).add_(1.0);  // norm scales near 1
    else parameter.normal_(0.0, 0.02, generator);
  }
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& parameter : module.parameters()) count += parameter.numel();
  return count;
}

}  // namespace k3::nn
