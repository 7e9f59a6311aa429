// Follows transformers 4.39.3 configuration_depth_anything.py, configuration_dinov2.py and
// configuration_dpt.py (defaults for absent keys), and image_processing_dpt.py (processor keys).
#include "depth/depth_config.h"

#include "base/json_reader.h"
#include "base/errors.h"
#include "src/io/model_folder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace k3::depth {
namespace {


std::vector<double> number_list(JsonReader& reader, const nlohmann::json& json, const std::string& key,
                                std::vector<double> fallback) {
  reader.ignore(key);
  if (!reader.has(key)) return fallback;
  const auto& value = json.at(key);
  if (!value.is_array()) reader.fail(key, "a list of numbers", value.dump());
  std::vector<double> out;
  for (const auto& item : value) {
    if (!item.is_number()) reader.fail(key, "a list of numbers", value.dump());
    out.push_back(item.get<double>());
  }
  return out;
}

std::vector<int64_t> int_list_or(JsonReader& reader, const std::string& key, std::vector<int64_t> fallback) {
  return reader.has(key) ? reader.required_int_list(key) : fallback;
}

// Keys of the files that only training, other heads or bookkeeping read.
void ignore_keys(JsonReader& reader, std::initializer_list<const char*> keys) {
  for (const char* key : keys) reader.ignore(key);
}

void check_neck(JsonReader& reader, DepthModelConfig& c) {
  // Both models take the selected layers in layer order, whatever order the file lists them in.
  std::sort(c.backbone.out_layers.begin(), c.backbone.out_layers.end());
  if (c.neck_hidden_sizes.size() != 4)
    reader.fail("neck_hidden_sizes", "4 entries", std::to_string(c.neck_hidden_sizes.size()));
  if (c.reassemble_factors.size() != 4)
    reader.fail("reassemble_factors", "4 entries", std::to_string(c.reassemble_factors.size()));
  for (double f : c.reassemble_factors) {
    const bool up = f >= 1 && std::floor(f) == f;
    const bool down = f > 0 && f < 1 && std::floor(1 / f) == 1 / f;
    if (!up && !down) reader.fail("reassemble_factors", "integers >= 1 or 1/n", std::to_string(f));
  }
  for (auto n : c.neck_hidden_sizes)
    if (n <= 0) reader.fail("neck_hidden_sizes", "positive channel counts", std::to_string(n));
  if (c.fusion_hidden_size <= 0 || c.fusion_hidden_size % 2 != 0)
    reader.fail("fusion_hidden_size", "a positive even number", std::to_string(c.fusion_hidden_size));
  if (c.backbone.out_layers.size() != 4)
    reader.fail(c.architecture == DepthArchitecture::Dpt ? "backbone_out_indices" : "out_indices", "4 layers",
                std::to_string(c.backbone.out_layers.size()));
  for (auto layer : c.backbone.out_layers)
    if (layer < 0 || layer > c.backbone.num_layers)
      reader.fail(c.architecture == DepthArchitecture::Dpt ? "backbone_out_indices" : "out_indices",
                  "layers within the " + std::to_string(c.backbone.num_layers) + " encoder layers", std::to_string(layer));
}

void check_backbone(JsonReader& reader, const BackboneConfig& b) {
  if (b.hidden_size <= 0 || b.num_heads <= 0 || b.hidden_size % b.num_heads != 0)
    reader.fail("hidden_size", "a positive multiple of num_attention_heads=" + std::to_string(b.num_heads),
                std::to_string(b.hidden_size));
  if (b.patch_size <= 0 || b.image_size < b.patch_size)
    reader.fail("image_size", "at least one patch of " + std::to_string(b.patch_size), std::to_string(b.image_size));
  if (b.num_layers <= 0) reader.fail("num_hidden_layers", "a positive integer", std::to_string(b.num_layers));
}

// The keys DINOv2's and DPT's ViT configs share (transformers' defaults differ in image size and eps).
void read_vit_keys(JsonReader& reader, const nlohmann::json& json, BackboneConfig& b, int64_t image_size, double eps) {
  b.hidden_size = reader.optional_int("hidden_size", 768);
  b.num_layers = reader.optional_int("num_hidden_layers", 12);
  b.num_heads = reader.optional_int("num_attention_heads", 12);
  b.image_size = reader.optional_int("image_size", image_size);
  b.patch_size = reader.optional_int("patch_size", 16);
  b.layer_norm_eps = reader.optional_double("layer_norm_eps", eps);
  const auto act = reader.optional_string("hidden_act", "gelu");
  if (act != "gelu") reader.fail("hidden_act", "\"gelu\" (exact GELU)", act);
  if (!reader.optional_bool("qkv_bias", true)) reader.fail("qkv_bias", "true", "false");
  if (reader.optional_int("num_channels", 3) != 3) reader.fail("num_channels", "3", json.at("num_channels").dump());
}

// Dinov2Config inside a DepthAnythingConfig.
BackboneConfig read_dinov2(const nlohmann::json& json, const std::string& source, std::vector<std::string>& warnings) {
  JsonReader reader(json, source);
  const auto type = reader.optional_string("model_type", "dinov2");
  if (type != "dinov2") reader.fail("model_type", "\"dinov2\"", type);
  BackboneConfig b;
  read_vit_keys(reader, json, b, /*image_size=*/224, /*layer_norm_eps=*/1e-6);
  const double mlp_ratio = reader.optional_double("mlp_ratio", 4.0);
  b.intermediate_size = static_cast<int64_t>(b.hidden_size * mlp_ratio);
  if (reader.optional_bool("use_swiglu_ffn", false)) reader.fail("use_swiglu_ffn", "false", "true");
  if (!reader.optional_bool("apply_layernorm", true)) reader.fail("apply_layernorm", "true", "false");
  // Depth Anything reads the token layout; the checkpoints all say false.
  if (reader.optional_bool("reshape_hidden_states", false)) reader.fail("reshape_hidden_states", "false", "true");
  reader.ignore("out_features");
  if (reader.has("out_indices")) {
    b.out_layers = reader.required_int_list("out_indices");
  } else if (reader.has("out_features")) {
    for (const auto& name : reader.required_string_list("out_features")) {
      if (name == "stem") b.out_layers.push_back(0);
      else if (name.rfind("stage", 0) == 0) b.out_layers.push_back(std::stoll(name.substr(5)));
      else reader.fail("out_features", "\"stem\" or \"stageN\" names", name);
    }
  } else {
    b.out_layers = {b.num_layers};  // transformers' default: the last stage only
  }
  ignore_keys(reader, {"layerscale_value", "drop_path_rate", "hidden_dropout_prob", "attention_probs_dropout_prob",
                       "initializer_range", "architectures", "torch_dtype", "transformers_version", "stage_names"});
  check_backbone(reader, b);
  for (auto& w : reader.unknown_key_warnings()) warnings.push_back(std::move(w));
  return b;
}

DepthModelConfig read_depth_anything(JsonReader& reader, const nlohmann::json& json, const std::string& source) {
  DepthModelConfig c;
  c.architecture = DepthArchitecture::DepthAnything;
  c.model_type = "depth_anything";
  reader.ignore("backbone_config");
  reader.ignore("backbone");
  if (!reader.has("backbone_config")) reader.fail("backbone_config", "a Dinov2 backbone config", "none");
  c.backbone = read_dinov2(json.at("backbone_config"), source + " backbone_config", c.warnings);
  const int64_t patch = reader.optional_int("patch_size", 14);
  if (patch != c.backbone.patch_size)
    reader.fail("patch_size", "the backbone's patch size " + std::to_string(c.backbone.patch_size), std::to_string(patch));
  const int64_t reassemble_hidden = reader.optional_int("reassemble_hidden_size", 384);
  if (reassemble_hidden != c.backbone.hidden_size)
    reader.fail("reassemble_hidden_size", "the backbone's hidden size " + std::to_string(c.backbone.hidden_size),
                std::to_string(reassemble_hidden));
  c.neck_hidden_sizes = int_list_or(reader, "neck_hidden_sizes", {96, 192, 384, 768});
  c.reassemble_factors = number_list(reader, json, "reassemble_factors", {4, 2, 1, 0.5});
  c.fusion_hidden_size = reader.optional_int("fusion_hidden_size", 64);
  c.head_hidden_size = reader.optional_int("head_hidden_size", 32);
  const int64_t head_in = reader.optional_int("head_in_index", -1);
  if (head_in != -1 && head_in != 3) reader.fail("head_in_index", "-1 (the last fusion output)", std::to_string(head_in));
  if (reader.optional_bool("use_pretrained_backbone", false)) reader.fail("use_pretrained_backbone", "false", "true");
  if (reader.has("backbone")) reader.fail("backbone", "null", json.at("backbone").dump());
  const auto kind = reader.optional_string("depth_estimation_type", "relative");
  if (kind != "relative") reader.fail("depth_estimation_type", "\"relative\" (metric heads are not supported)", kind);
  ignore_keys(reader, {"initializer_range", "use_timm_backbone", "backbone_kwargs", "max_depth"});
  check_neck(reader, c);
  return c;
}

DepthModelConfig read_dpt(JsonReader& reader, const nlohmann::json& json) {
  DepthModelConfig c;
  c.architecture = DepthArchitecture::Dpt;
  c.model_type = "dpt";
  if (reader.optional_bool("is_hybrid", false))
    reader.fail("is_hybrid", "false (the BiT hybrid, dpt-hybrid-midas, is not supported)", "true");
  reader.ignore("backbone_config");
  if (reader.has("backbone_config"))
    reader.fail("backbone_config", "null (DPT with its own ViT)", "a backbone config");
  auto& b = c.backbone;
  read_vit_keys(reader, json, b, /*image_size=*/384, /*layer_norm_eps=*/1e-12);
  b.intermediate_size = reader.optional_int("intermediate_size", 3072);
  for (auto index : int_list_or(reader, "backbone_out_indices", {2, 5, 8, 11})) b.out_layers.push_back(index + 1);
  const auto readout = reader.optional_string("readout_type", "project");
  if (readout != "project") reader.fail("readout_type", "\"project\"", readout);
  c.neck_hidden_sizes = int_list_or(reader, "neck_hidden_sizes", {96, 192, 384, 768});
  c.reassemble_factors = number_list(reader, json, "reassemble_factors", {4, 2, 1, 0.5});
  c.fusion_hidden_size = reader.optional_int("fusion_hidden_size", 256);
  c.head_hidden_size = 32;
  const int64_t head_in = reader.optional_int("head_in_index", -1);
  if (head_in != -1 && head_in != 3) reader.fail("head_in_index", "-1 (the last fusion output)", std::to_string(head_in));
  if (reader.optional_bool("use_batch_norm_in_fusion_residual", false))
    reader.fail("use_batch_norm_in_fusion_residual", "false", "true");
  reader.ignore("use_bias_in_fusion_residual");  // null = bias (no batch norm)
  if (reader.has("use_bias_in_fusion_residual") && !reader.optional_bool("use_bias_in_fusion_residual", true))
    reader.fail("use_bias_in_fusion_residual", "true or null", "false");
  c.dpt_add_projection = reader.optional_bool("add_projection", false);
  reader.ignore("neck_ignore_stages");
  if (reader.has("neck_ignore_stages") && !(json.at("neck_ignore_stages").is_array() && json.at("neck_ignore_stages").empty()))
    reader.fail("neck_ignore_stages", "[] (hybrid only)", json.at("neck_ignore_stages").dump());
  ignore_keys(reader, {"initializer_range", "hidden_dropout_prob", "attention_probs_dropout_prob", "auxiliary_loss_weight",
                       "semantic_classifier_dropout", "semantic_loss_ignore_index", "use_auxiliary_head",
                       "use_pretrained_backbone", "use_timm_backbone", "backbone", "backbone_kwargs",
                       "backbone_featmap_shape", "id2label", "label2id"});
  check_backbone(reader, b);
  check_neck(reader, c);
  return c;
}

}  // namespace

DepthModelConfig DepthModelConfig::from_json(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) throw ConfigError(source + ": expected a JSON object, got " + std::string(json.type_name()));
  JsonReader reader(json, source);
  const auto type = reader.required_string("model_type");
  ignore_keys(reader, {"architectures", "torch_dtype", "transformers_version", "_name_or_path", "_commit_hash"});
  DepthModelConfig c;
  if (type == "depth_anything") c = read_depth_anything(reader, json, source);
  else if (type == "dpt") c = read_dpt(reader, json);
  else reader.fail("model_type", "\"depth_anything\" or \"dpt\"", "\"" + type + "\"");
  for (auto& w : reader.unknown_key_warnings()) c.warnings.push_back(std::move(w));
  return c;
}

ProcessorConfig ProcessorConfig::from_json(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) throw ConfigError(source + ": expected a JSON object, got " + std::string(json.type_name()));
  JsonReader reader(json, source);
  ProcessorConfig p;
  // Legacy DPTFeatureExtractor files (Intel/dpt-large) give the size as one integer.
  reader.ignore("size");
  if (reader.has("size")) {
    const auto& size = json.at("size");
    if (size.is_number_integer()) {
      p.height = p.width = size.get<int64_t>();
    } else if (size.is_object() && size.contains("height") && size.contains("width") && size["height"].is_number_integer() &&
               size["width"].is_number_integer()) {
      p.height = size["height"].get<int64_t>();
      p.width = size["width"].get<int64_t>();
    } else {
      reader.fail("size", "an integer or {\"height\", \"width\"}", size.dump());
    }
  }
  if (p.height <= 0 || p.width <= 0) reader.fail("size", "positive sizes", json.at("size").dump());
  p.do_resize = reader.optional_bool("do_resize", true);
  p.keep_aspect_ratio = reader.optional_bool("keep_aspect_ratio", false);
  p.ensure_multiple_of = reader.optional_int("ensure_multiple_of", 1);
  if (p.ensure_multiple_of <= 0) reader.fail("ensure_multiple_of", "a positive integer", std::to_string(p.ensure_multiple_of));
  p.resample = static_cast<int>(reader.optional_int("resample", 3));
  if (p.resample != 2 && p.resample != 3) reader.fail("resample", "2 (bilinear) or 3 (bicubic)", std::to_string(p.resample));
  p.do_rescale = reader.optional_bool("do_rescale", true);
  p.rescale_factor = reader.optional_double("rescale_factor", 1.0 / 255.0);
  p.do_normalize = reader.optional_bool("do_normalize", true);
  for (const char* key : {"image_mean", "image_std"}) {
    if (!reader.has(key)) continue;
    const auto values = number_list(reader, json, key, {});
    if (values.size() != 3) reader.fail(key, "3 numbers", json.at(key).dump());
    auto& target = std::string(key) == "image_mean" ? p.image_mean : p.image_std;
    for (int i = 0; i < 3; ++i) target[static_cast<std::size_t>(i)] = static_cast<float>(values[static_cast<std::size_t>(i)]);
  }
  if (reader.optional_bool("do_pad", false)) reader.fail("do_pad", "false", "true");
  ignore_keys(reader, {"image_processor_type", "feature_extractor_type", "size_divisor", "processor_class",
                       "crop_size", "do_center_crop", "do_reduce_labels"});
  p.warnings = reader.unknown_key_warnings();
  return p;
}

}  // namespace k3::depth
