#pragma once
// What one fixture set under K3_FIXTURES holds, read from its files. k3-tiny-golden/README.md: other
// sets of the same layout exist (other configs, sizes, seeds, prompts, step counts), so a test takes
// the model's sizes from k3-tiny/'s configs and its cases from meta.json, never from this file.
// No torch here: the CLI and animation suites use it too.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace k3::test::fixture {

std::string model_dir();   // <fixtures>/k3-tiny
std::string golden_dir();  // <fixtures>/k3-tiny-golden
// A JSON file of the set, parsed; throws std::runtime_error naming the file.
nlohmann::json read_json(const std::string& path);

// One entry of meta.json "pipelines": text-to-image, or image-to-image where "strength" is given.
struct PipelineCase {
  std::string name;  // the key, also the stem of <name>.safetensors and <name>.png
  std::string prompt;
  std::optional<std::string> negative_prompt;
  int64_t height = 0, width = 0;  // text-to-image only (image-to-image takes the picture's size)
  int steps = 0;
  double guidance = 0;
  uint64_t seed = 0;
  std::optional<uint64_t> latents_seed;  // text-to-image: initial latents drawn from this seed and passed
  std::optional<double> strength;        // image-to-image only
  bool image_to_image() const { return strength.has_value(); }
  // The picture an image-to-image case starts from: <golden>/<name>_init_image.png.
  std::string init_image_png() const;
};
// Every case of meta.json, in the order of their names.
std::vector<PipelineCase> pipeline_cases();
// The first text-to-image case; throws when the set has none.
PipelineCase first_text_to_image_case();

// The tiny model's sizes, from k3-tiny/'s unet, movq and text_encoder configs.
struct ModelGeometry {
  int64_t latent_channels = 0;         // MoVQ latent_channels: the UNet's noise prediction
  int64_t text_width = 0;              // T5 d_model = UNet encoder_hid_dim
  int64_t context_width = 0;           // UNet cross_attention_dim (the original's null embedding)
  int64_t unet_groups = 0;             // UNet "groups"
  int64_t unet_attention_head_dim = 0;
  int64_t movq_norm_groups = 0;
  int64_t movq_levels = 0;             // len(movq block_out_channels)
  int64_t downscale = 0;               // picture pixels per latent pixel: 2^(movq levels - 1)
  int64_t size_multiple = 0;           // sides the model takes without padding (src/public/model_canvas.h)
  int64_t image_side = 0;              // the smallest such square of at least 64 pixels (a preset's least)
  int64_t latent_side() const { return image_side / downscale; }
};
ModelGeometry model_geometry();

// The depth fixture set (depth-tiny/ + depth-tiny-golden/meta.json).
struct DepthModel {
  std::string name;  // folder under depth-tiny/
  std::string kind;  // meta.json "kind": depth_anything or dpt
  std::string dir;
};
std::vector<DepthModel> depth_models();
// The folder of the set's first model of `kind`; throws when there is none.
std::string first_depth_model(const std::string& kind);
// The pictures of depth-tiny-golden/meta.json "images", as paths.
std::vector<std::string> depth_pictures();

}  // namespace k3::test::fixture
