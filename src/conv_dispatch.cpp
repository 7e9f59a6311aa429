// Per-shape convolution algorithm (see conv_dispatch.h). The im2col path follows the textbook
// unfold + GEMM formulation (torch.nn.functional.unfold semantics).
#include "src/conv_dispatch.h"

#include <atomic>

namespace k3 {

namespace {
// Off by default: on these shared 2-core machines the whole full-size UNet forward measured
// ~20% slower with the GEMM paths than with oneDNN everywhere (bench_core_unet, twice, under
// load); the per-shape choice stays available for machines where it wins.
std::atomic<bool> dispatch_enabled{false};

// 1x1 convolution, stride 1, no padding: one matrix product over channels.
torch::Tensor conv1x1_matmul(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  const auto batch = x.size(0), height = x.size(2), width = x.size(3);
  auto w = weight.view({weight.size(0), weight.size(1)});            // [O, I]
  auto flat = x.reshape({batch, x.size(1), height * width});         // [B, I, HW]
  auto out = torch::matmul(w, flat);                                 // [B, O, HW]
  if (bias.defined()) out.add_(bias.view({1, -1, 1}));
  return out.view({batch, weight.size(0), height, width});
}

// k x k convolution as unfold (im2col) + one matrix product.
torch::Tensor conv_im2col(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                          int64_t stride, int64_t padding) {
  const auto batch = x.size(0), kernel = weight.size(2);
  const auto out_h = (x.size(2) + 2 * padding - kernel) / stride + 1;
  const auto out_w = (x.size(3) + 2 * padding - kernel) / stride + 1;
  auto columns = torch::im2col(x, {kernel, kernel}, {1, 1}, {padding, padding}, {stride, stride});  // [B, I*k*k, L]
  auto out = torch::matmul(weight.view({weight.size(0), -1}), columns);                          // [B, O, L]
  if (bias.defined()) out.add_(bias.view({1, -1, 1}));
  return out.view({batch, weight.size(0), out_h, out_w});
}
}  // namespace

void set_conv_dispatch(bool enabled) { dispatch_enabled = enabled; }
bool conv_dispatch_enabled() { return dispatch_enabled; }

torch::Tensor conv2d(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  const auto& w = conv.weight;
  if (dispatch_enabled && x.device().is_cpu() && x.dim() == 4) {
    // Single convolutions at 8x8 and below with hundreds of input channels ran 3-17x faster as a
    // GEMM (ENVIRONMENT.md, last section); at 16x16 and above oneDNN is as fast or faster.
    const auto spatial = x.size(2) * x.size(3);
    const auto kernel = w.size(2);
    if (spatial <= 8 * 8 && w.size(1) >= 512) {
      if (kernel == 1 && conv.stride == 1 && conv.padding == 0) return conv1x1_matmul(x, w, conv.bias);
      return conv_im2col(x, w, conv.bias, conv.stride, conv.padding);
    }
  }
  return torch::conv2d(x, w, conv.bias, {conv.stride, conv.stride}, {conv.padding, conv.padding});
}

torch::Tensor conv_transpose2d(const k3::nn::ConvTranspose2dImpl& conv, const torch::Tensor& x) {
  const std::vector<int64_t> stride = {conv.stride, conv.stride};
  if (x.device().is_cpu() && x.scalar_type() == torch::kBFloat16) {
    auto bias = conv.bias.defined() ? conv.bias.to(torch::kFloat) : torch::Tensor();
    return torch::conv_transpose2d(x.to(torch::kFloat), conv.weight.to(torch::kFloat), bias, stride)
        .to(torch::kBFloat16);
  }
  return torch::conv_transpose2d(x, conv.weight, conv.bias, stride);
}

}  // namespace k3
