#pragma once
// Group normalisation computed with the tensor library's parallel reductions (the statistics, in
// float32) and batch_norm in inference form (the normalisation, in float32, rounded once): the
// same result as torch::group_norm up to float rounding of the statistics. libtorch's own
// GroupNorm kernel gives each (sample, group) to one thread block: 32 blocks on a 132-multiprocessor
// GPU for one 1024 px MoVQ map, 14 ms for 512 x 1024 x 1024 fp16 on an H200, where a 3x3
// convolution of the same map takes 5 ms. k3::nn::GroupNorm takes this way on CUDA for such few,
// large groups.
#include <torch/torch.h>

namespace k3::nn {

torch::Tensor group_norm_by_reductions(const torch::Tensor& x, int64_t groups, const torch::Tensor& weight,
                                       const torch::Tensor& bias, double eps);

}  // namespace k3::nn
