// Follows transformers 4.39.3 DepthAnythingForDepthEstimation.forward and
// DPTForDepthEstimation.forward (non-hybrid): backbone stages -> neck -> head.
#include "depth/depth_model.h"

#include "depth/depth_estimator.h"
#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/io/weights.h"

#include <algorithm>
#include <filesystem>

namespace k3::depth {

DepthModelImpl::DepthModelImpl(const DepthModelConfig& config) : config_(config) {
  const bool dinov2 = config.architecture == DepthArchitecture::DepthAnything;
  backbone = register_module(dinov2 ? "backbone" : "dpt", ViTBackbone(config.backbone, dinov2));
  neck = register_module("neck", DepthNeck(config));
  head = register_module("head", DepthHead(config));
}

torch::Tensor DepthModelImpl::forward(const torch::Tensor& pixel_values, DepthStages* stages) {
  if (pixel_values.dim() != 4)
    throw ConfigError("depth model input: expected [B, 3, H, W], got " + std::to_string(pixel_values.dim()) + " dimensions");
  const int64_t p = config_.patch_size();
  const int64_t grid_h = pixel_values.size(2) / p, grid_w = pixel_values.size(3) / p;
  torch::Tensor* positions = stages ? &stages->position_embeddings : nullptr;
  torch::Tensor* embeddings = stages ? &stages->embeddings : nullptr;
  auto features = backbone(pixel_values, positions, embeddings);
  if (stages) stages->backbone = features;
  auto fused = neck(features, grid_h, grid_w, stages ? &stages->neck : nullptr);
  return head(fused, grid_h, grid_w, stages ? &stages->head_conv1 : nullptr);
}

std::vector<std::string> depth_weight_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string single = dir + "/model.safetensors";
  if (fs::is_regular_file(single, ec)) return {single};
  const std::string index = dir + "/model.safetensors.index.json";
  if (fs::is_regular_file(index, ec)) {
    const auto json = read_json_file(index);
    if (!json.contains("weight_map") || !json["weight_map"].is_object())
      throw FileError(index + ": expected a \"weight_map\" object, got none");
    std::vector<std::string> files;
    for (const auto& item : json["weight_map"].items()) {
      const std::string file = dir + "/" + item.value().get<std::string>();
      if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
    }
    return files;
  }
  const bool has_bin = fs::is_regular_file(dir + "/pytorch_model.bin", ec);
  throw FileError(dir + ": expected model.safetensors (or model.safetensors.index.json), got " +
                  (has_bin ? std::string("only pytorch_model.bin: convert it to safetensors first") : std::string("none")));
}

LoadedDepthModel load_depth_model(const std::string& dir, torch::Device device, torch::ScalarType dtype) {
  LoadedDepthModel out;
  const std::string config_path = dir + "/config.json";
  const std::string processor_path = dir + "/preprocessor_config.json";
  out.config = DepthModelConfig::from_json(read_json_file(config_path), config_path);
  out.processor = ProcessorConfig::from_json(read_json_file(processor_path), processor_path);
  out.warnings = out.config.warnings;
  out.warnings.insert(out.warnings.end(), out.processor.warnings.begin(), out.processor.warnings.end());
  out.model = DepthModel(out.config);
  const auto store = WeightStore::open_files(depth_weight_files(dir));
  load_weights_strict(*out.model, store, "depth model " + dir, dtype, device);
  out.model->eval();
  out.device = device;
  out.dtype = dtype;
  return out;
}

}  // namespace k3::depth
