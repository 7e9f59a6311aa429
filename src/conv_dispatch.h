#pragma once
// Convolution with the algorithm chosen per shape. On CPU, oneDNN is 10-17x slower than a plain
// matrix product for 1x1 convolutions and for small spatial sizes with many channels
// (ENVIRONMENT.md, last section); elsewhere it is the fast one. Results equal torch::conv2d up
// to float rounding.
#include "src/nn_layers.h"

#include <torch/torch.h>

namespace k3 {

torch::Tensor conv2d(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x);

// ConvTranspose2d. libtorch 1.13's CPU kernel returns a wrongly shaped result for bfloat16
// ([2,8,4,4] with a 2x2 stride-2 kernel gives [2,8,2,2]): on the CPU, bfloat16 runs in float32.
torch::Tensor conv_transpose2d(const k3::nn::ConvTranspose2dImpl& conv, const torch::Tensor& x);

// Process-wide switch (default off = always torch::conv2d, i.e. oneDNN); see conv_dispatch.cpp
// and bench_core_unet for the measurements behind the default.
void set_conv_dispatch(bool enabled);
bool conv_dispatch_enabled();

}  // namespace k3
