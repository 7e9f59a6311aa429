#pragma once
// DepthAnythingForDepthEstimation and DPTForDepthEstimation (ViT, Intel/dpt-large = MiDaS 3.0),
// built from config.json with transformers' parameter names, and the one function that loads a
// model folder (so that a memory plan can later decide device and dtype in one place).
#include "depth/depth_config.h"
#include "depth/dpt_neck.h"
#include "depth/vit_backbone.h"

#include <torch/torch.h>

#include <string>
#include <vector>

namespace k3::depth {

// Every stage of one forward pass (the golden fixtures' tensors).
struct DepthStages {
  torch::Tensor position_embeddings, embeddings;
  std::vector<torch::Tensor> backbone;  // the four neck inputs, [B, 1 + gh*gw, C]
  NeckStages neck;
  torch::Tensor head_conv1;
};

class DepthModelImpl : public torch::nn::Module {
 public:
  explicit DepthModelImpl(const DepthModelConfig& config);
  // pixel_values [B, 3, H, W] -> predicted_depth [B, h, w] (relative inverse depth, >= 0).
  torch::Tensor forward(const torch::Tensor& pixel_values, DepthStages* stages = nullptr);
  const DepthModelConfig& config() const { return config_; }

 private:
  DepthModelConfig config_;
  ViTBackbone backbone{nullptr};
  DepthNeck neck{nullptr};
  DepthHead head{nullptr};
};
TORCH_MODULE(DepthModel);

struct LoadedDepthModel {
  DepthModel model{nullptr};
  DepthModelConfig config;
  ProcessorConfig processor;
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;
  std::vector<std::string> warnings;  // config keys nobody reads
};

// Reads config.json + preprocessor_config.json of `dir`, builds the model and fills it with the
// strict loader (every missing, unexpected or mis-shaped tensor reported at once), in `dtype` on
// `device`, in eval mode. A folder without preprocessor_config.json is refused (FileError).
LoadedDepthModel load_depth_model(const std::string& dir, torch::Device device, torch::ScalarType dtype);

}  // namespace k3::depth
