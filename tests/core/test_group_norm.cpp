// group_norm_by_reductions (src/nn/group_norm.h), the CUDA fast path of k3::nn::GroupNorm, against
// libtorch's group_norm on the same inputs: on the CPU here (where the function computes the same
// way), with and without affine parameters, batch 1 and 2, an offset mean that tests the
// variance's cancellation. [gpu] repeats it on CUDA in fp16 through the module itself.
#include "src/nn/group_norm.h"
#include "src/nn/nn_layers.h"

#include <catch2/catch.hpp>

#include <iostream>

namespace {
double relative_l2(const torch::Tensor& got, const torch::Tensor& want) {
  return (got.to(torch::kFloat) - want.to(torch::kFloat)).norm().item<double>() / want.to(torch::kFloat).norm().item<double>();
}
}  // namespace

TEST_CASE("group norm by reductions equals libtorch's group_norm", "[unit]") {
  torch::manual_seed(3);
  for (int64_t batch : {1, 2}) {
    for (bool affine : {true, false}) {
      auto x = torch::randn({batch, 64, 24, 20}) * 3 + 5;  // mean 5, std 3 per group
      torch::Tensor weight, bias;
      if (affine) {
        weight = torch::randn({64});
        bias = torch::randn({64});
      }
      auto want = torch::group_norm(x, 32, weight, bias, 1e-6);
      auto got = k3::nn::group_norm_by_reductions(x, 32, weight, bias, 1e-6);
      const double error = relative_l2(got, want);
      std::cout << "[unit] group norm by reductions, batch " << batch << (affine ? ", affine" : "") << ": rel L2 "
                << error << " (bound 1e-5)\n";
      CHECK(got.sizes() == want.sizes());
      CHECK(error < 1e-5);
    }
  }
}

TEST_CASE("GroupNorm on CUDA in fp16 for large groups equals libtorch's group_norm in fp32", "[gpu]") {
  if (!torch::cuda::is_available()) return;
  torch::manual_seed(4);
  torch::NoGradGuard no_grad;
  k3::nn::GroupNorm norm(32, 256, 1e-6);
  norm->weight.copy_(torch::randn({256}));
  norm->bias.copy_(torch::randn({256}));
  auto x = torch::randn({1, 256, 512, 512}) * 2 + 1;
  auto want = torch::group_norm(x, 32, norm->weight, norm->bias, 1e-6);
  norm->to(torch::kCUDA, torch::kHalf);
  auto got = norm(x.to(torch::kCUDA, torch::kHalf)).to(torch::kCPU);
  const double error = relative_l2(got, want);
  std::cout << "[gpu] GroupNorm fp16 CUDA (large groups) vs CPU fp32: rel L2 " << error << " (bound 2e-3)\n";
  CHECK(error < 2e-3);
}
