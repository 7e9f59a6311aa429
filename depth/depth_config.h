#pragma once
// The configuration of a monocular depth model folder (Hugging Face layout: config.json and
// preprocessor_config.json): Depth Anything (DINOv2 backbone) or DPT (ViT backbone, Intel/dpt-large).
// No torch here. Follows transformers 4.39.3 configuration_depth_anything.py, configuration_dinov2.py,
// configuration_dpt.py and image_processing_dpt.py.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace k3::depth {

enum class DepthArchitecture { DepthAnything, Dpt };

// The ViT-style backbone: DINOv2 (Depth Anything) or ViT (DPT).
struct BackboneConfig {
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;  // MLP width (DINOv2: hidden * mlp_ratio)
  int64_t image_size = 0;         // pretraining size: the position table is (image_size / patch)^2 + 1
  int64_t patch_size = 0;
  double layer_norm_eps = 1e-6;
  // Encoder layers whose outputs feed the neck, 1-based (k = after layer k). DPT's 0-based
  // backbone_out_indices are stored here plus one.
  std::vector<int64_t> out_layers;
  int64_t grid() const { return image_size / patch_size; }
};

struct DepthModelConfig {
  DepthArchitecture architecture = DepthArchitecture::DepthAnything;
  std::string model_type;  // "depth_anything" or "dpt"
  BackboneConfig backbone;
  std::vector<int64_t> neck_hidden_sizes;  // four
  std::vector<double> reassemble_factors;  // four: 4, 2, 1, 0.5
  int64_t fusion_hidden_size = 0;
  int64_t head_hidden_size = 32;  // Depth Anything's conv2 width; DPT hard-codes 32
  bool dpt_add_projection = false;  // DPT only: extra 3x3 conv + ReLU before the head
  std::vector<std::string> warnings;  // keys read but not used, unknown keys

  // Parses config.json; throws ConfigError naming `source` and the key at fault. Unsupported
  // variants (hybrid BiT backbone, readouts other than DPT's "project", metric heads) are refused.
  static DepthModelConfig from_json(const nlohmann::json& json, const std::string& source);
  // The patch size the grid is computed with.
  int64_t patch_size() const { return backbone.patch_size; }
};

// DPTImageProcessor settings (preprocessor_config.json).
struct ProcessorConfig {
  int64_t height = 384, width = 384;
  bool do_resize = true;
  bool keep_aspect_ratio = false;
  int64_t ensure_multiple_of = 1;
  int resample = 3;  // PIL: 2 bilinear, 3 bicubic
  bool do_rescale = true;
  double rescale_factor = 1.0 / 255.0;
  bool do_normalize = true;
  std::array<float, 3> image_mean{0.5f, 0.5f, 0.5f};
  std::array<float, 3> image_std{0.5f, 0.5f, 0.5f};
  std::vector<std::string> warnings;

  static ProcessorConfig from_json(const nlohmann::json& json, const std::string& source);
};

}  // namespace k3::depth
