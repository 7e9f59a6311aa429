#pragma once
// The DPT neck (reassemble, 3x3 convs, feature fusion) and the two depth heads, by
// transformers' module names: "neck." and "head." of DepthAnythingForDepthEstimation and
// DPTForDepthEstimation.
#include "depth/depth_config.h"
#include "src/nn/nn_layers.h"

#include <torch/torch.h>

#include <array>
#include <vector>

namespace k3::depth {

// Every intermediate map of one forward pass, for the golden tests (j = neck level).
struct NeckStages {
  std::array<torch::Tensor, 4> reassemble, convs, fusion;
};

// Pre-activation residual unit: conv2(relu(conv1(relu(x)))) + x.
class ResidualUnitImpl : public torch::nn::Module {
 public:
  explicit ResidualUnitImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  k3::nn::Conv2d convolution1{nullptr}, convolution2{nullptr};
};
TORCH_MODULE(ResidualUnit);

class FusionLayerImpl : public torch::nn::Module {
 public:
  explicit FusionLayerImpl(int64_t channels);
  // `residual` may be undefined (the first layer); `size` empty means x2.
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& residual, std::vector<int64_t> size);

 private:
  k3::nn::Conv2d projection{nullptr};
  ResidualUnit residual_layer1{nullptr}, residual_layer2{nullptr};
};
TORCH_MODULE(FusionLayer);

class DepthNeckImpl : public torch::nn::Module {
 public:
  explicit DepthNeckImpl(const DepthModelConfig& config);
  // `features`: the four backbone stages [B, 1 + gh*gw, C] (cls first). Returns the last fusion map.
  torch::Tensor forward(const std::vector<torch::Tensor>& features, int64_t grid_h, int64_t grid_w,
                        NeckStages* stages = nullptr);

 private:
  torch::Tensor reassemble(std::size_t j, const torch::Tensor& tokens, int64_t grid_h, int64_t grid_w);
  DepthModelConfig config_;
  bool readout_project_ = false;
  std::vector<k3::nn::Linear> readouts_;
  std::vector<k3::nn::Conv2d> projections_;
  std::vector<std::shared_ptr<torch::nn::Module>> resizes_;  // ConvTranspose2d, Conv2d or null (factor 1)
  std::vector<k3::nn::Conv2d> convs_;
  std::vector<FusionLayer> fusion_;
};
TORCH_MODULE(DepthNeck);

// Depth Anything: conv1, bilinear to the patch grid in pixels, conv2, ReLU, conv3, ReLU.
// DPT: [projection + ReLU], head.0, x2, head.2, ReLU, head.4, ReLU.
class DepthHeadImpl : public torch::nn::Module {
 public:
  explicit DepthHeadImpl(const DepthModelConfig& config);
  // [B, h, w]; `conv1_out` receives the first conv's output.
  torch::Tensor forward(const torch::Tensor& fused, int64_t grid_h, int64_t grid_w, torch::Tensor* conv1_out = nullptr);

 private:
  DepthModelConfig config_;
  k3::nn::Conv2d projection{nullptr}, conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
};
TORCH_MODULE(DepthHead);

}  // namespace k3::depth
