// Follows transformers 4.39.3 models/depth_anything/modeling_depth_anything.py (reassemble,
// fusion to the next map's size, head) and models/dpt/modeling_dpt.py (readout "project",
// fusion by x2, DPTDepthEstimationHead).
#include "depth/dpt_neck.h"

#include <string>

namespace k3::depth {
namespace {

torch::Tensor bilinear(const torch::Tensor& x, std::vector<int64_t> size, bool align_corners) {
  return at::upsample_bilinear2d(x, size, align_corners, c10::nullopt, c10::nullopt);
}

}  // namespace

ResidualUnitImpl::ResidualUnitImpl(int64_t channels) {
  convolution1 = register_module("convolution1", k3::nn::Conv2d(channels, channels, 3, 1, 1, true));
  convolution2 = register_module("convolution2", k3::nn::Conv2d(channels, channels, 3, 1, 1, true));
}

torch::Tensor ResidualUnitImpl::forward(const torch::Tensor& x) {
  return convolution2(torch::relu(convolution1(torch::relu(x)))) + x;
}

FusionLayerImpl::FusionLayerImpl(int64_t channels) {
  projection = register_module("projection", k3::nn::Conv2d(channels, channels, 1, 1, 0, true));
  residual_layer1 = register_module("residual_layer1", ResidualUnit(channels));
  residual_layer2 = register_module("residual_layer2", ResidualUnit(channels));
}

torch::Tensor FusionLayerImpl::forward(torch::Tensor x, const torch::Tensor& residual, std::vector<int64_t> size) {
  if (residual.defined()) {
    auto r = residual;
    if (r.sizes() != x.sizes()) r = bilinear(r, {x.size(2), x.size(3)}, false);
    x = x + residual_layer1(r);
  }
  x = residual_layer2(x);
  if (size.empty()) size = {x.size(2) * 2, x.size(3) * 2};
  return projection(bilinear(x, size, true));
}

DepthNeckImpl::DepthNeckImpl(const DepthModelConfig& config) : config_(config) {
  readout_project_ = config.architecture == DepthArchitecture::Dpt;
  const int64_t c = config.backbone.hidden_size, f = config.fusion_hidden_size;
  auto stage = register_module("reassemble_stage", std::make_shared<torch::nn::Module>());
  auto layers = stage->register_module("layers", torch::nn::ModuleList());
  for (std::size_t j = 0; j < 4; ++j) {
    const int64_t n = config.neck_hidden_sizes[j];
    const double factor = config.reassemble_factors[j];
    auto layer = std::make_shared<torch::nn::Module>();
    projections_.push_back(layer->register_module("projection", k3::nn::Conv2d(c, n, 1, 1, 0, true)));
    std::shared_ptr<torch::nn::Module> resize;
    if (factor > 1) {
      const auto k = static_cast<int64_t>(factor);
      resize = layer->register_module("resize", k3::nn::ConvTranspose2d(n, n, k, k, true));
    } else if (factor < 1) {
      resize = layer->register_module("resize", k3::nn::Conv2d(n, n, 3, static_cast<int64_t>(1 / factor), 1, true));
    }
    resizes_.push_back(resize);
    layers->push_back(layer);
  }
  if (readout_project_) {
    auto readouts = stage->register_module("readout_projects", torch::nn::ModuleList());
    for (std::size_t j = 0; j < 4; ++j) {
      auto sequential = std::make_shared<torch::nn::Module>();  // nn.Sequential(Linear, GELU): key "j.0"
      readouts_.push_back(sequential->register_module("0", k3::nn::Linear(2 * c, c)));
      readouts->push_back(sequential);
    }
  }
  auto convs = register_module("convs", torch::nn::ModuleList());
  for (std::size_t j = 0; j < 4; ++j) {
    convs_.push_back(k3::nn::Conv2d(config.neck_hidden_sizes[j], f, 3, 1, 1, false));
    convs->push_back(convs_.back());
  }
  auto fusion_stage = register_module("fusion_stage", std::make_shared<torch::nn::Module>());
  auto fusion_layers = fusion_stage->register_module("layers", torch::nn::ModuleList());
  for (std::size_t j = 0; j < 4; ++j) {
    fusion_.push_back(FusionLayer(f));
    fusion_layers->push_back(fusion_.back());
  }
}

torch::Tensor DepthNeckImpl::reassemble(std::size_t j, const torch::Tensor& tokens, int64_t grid_h, int64_t grid_w) {
  const int64_t b = tokens.size(0), c = tokens.size(2);
  auto patches = tokens.narrow(1, 1, tokens.size(1) - 1);
  if (readout_project_) {
    // concat(token, cls) per token, Linear(2C, C), GELU.
    auto cls = tokens.narrow(1, 0, 1).expand_as(patches);
    patches = torch::gelu(readouts_[j](torch::cat({patches, cls}, -1)));
  }
  auto x = patches.reshape({b, grid_h, grid_w, c}).permute({0, 3, 1, 2}).contiguous();
  x = projections_[j](x);
  if (const auto& resize = resizes_[j]) {
    if (auto* up = resize->as<k3::nn::ConvTranspose2d>()) x = up->forward(x);
    else x = resize->as<k3::nn::Conv2d>()->forward(x);
  }
  return x;
}

torch::Tensor DepthNeckImpl::forward(const std::vector<torch::Tensor>& features, int64_t grid_h, int64_t grid_w,
                                     NeckStages* stages) {
  std::array<torch::Tensor, 4> maps;
  for (std::size_t j = 0; j < 4; ++j) {
    auto reassembled = reassemble(j, features[j], grid_h, grid_w);
    maps[j] = convs_[j](reassembled);
    if (stages) {
      stages->reassemble[j] = reassembled;
      stages->convs[j] = maps[j];
    }
  }
  // From the deepest map up; Depth Anything resizes to the next map's size, DPT doubles.
  const bool to_next_size = config_.architecture == DepthArchitecture::DepthAnything;
  torch::Tensor x;
  for (std::size_t k = 0; k < 4; ++k) {
    const std::size_t level = 3 - k;
    std::vector<int64_t> size;
    if (to_next_size && k < 3) size = {maps[level - 1].size(2), maps[level - 1].size(3)};
    x = fusion_[k](k == 0 ? maps[level] : x, k == 0 ? torch::Tensor() : maps[level], size);
    if (stages) stages->fusion[k] = x;
  }
  return x;
}

DepthHeadImpl::DepthHeadImpl(const DepthModelConfig& config) : config_(config) {
  const int64_t f = config.fusion_hidden_size;
  if (config.architecture == DepthArchitecture::DepthAnything) {
    conv1 = register_module("conv1", k3::nn::Conv2d(f, f / 2, 3, 1, 1, true));
    conv2 = register_module("conv2", k3::nn::Conv2d(f / 2, config.head_hidden_size, 3, 1, 1, true));
    conv3 = register_module("conv3", k3::nn::Conv2d(config.head_hidden_size, 1, 1, 1, 0, true));
  } else {
    if (config.dpt_add_projection) projection = register_module("projection", k3::nn::Conv2d(f, f, 3, 1, 1, true));
    auto head = register_module("head", std::make_shared<torch::nn::Module>());  // nn.Sequential: 0, 2, 4 hold weights
    conv1 = head->register_module("0", k3::nn::Conv2d(f, f / 2, 3, 1, 1, true));
    conv2 = head->register_module("2", k3::nn::Conv2d(f / 2, 32, 3, 1, 1, true));
    conv3 = head->register_module("4", k3::nn::Conv2d(32, 1, 1, 1, 0, true));
  }
}

torch::Tensor DepthHeadImpl::forward(const torch::Tensor& fused, int64_t grid_h, int64_t grid_w, torch::Tensor* conv1_out) {
  auto x = fused;
  if (!projection.is_empty()) x = torch::relu(projection(x));
  x = conv1(x);
  if (conv1_out) *conv1_out = x;
  if (config_.architecture == DepthArchitecture::DepthAnything) {
    const int64_t p = config_.patch_size();
    x = bilinear(x, {grid_h * p, grid_w * p}, true);
  } else {
    x = bilinear(x, {x.size(2) * 2, x.size(3) * 2}, true);
  }
  x = torch::relu(conv3(torch::relu(conv2(x))));
  return x.squeeze(1);
}

}  // namespace k3::depth
