// The real checkpoints' architectures without their weights: the configs of
// Depth-Anything-V2-{Small,Base,Large}-hf and Intel/dpt-large (specs/depth.md 2.1, 3.1) build
// modules whose names and shapes equal the spec's key lists, and `k3anim inspect` on sparse
// safetensors folders written from those key lists reports the spec's parameter and tensor counts.
#include "depth/depth_model.h"
#include "src/nn/nn_layers.h"
#include "src/io/safetensors.h"
#include "tests/core/core_golden_support.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace {

struct RealModel {
  std::string name;      // key list stem in specs/depth-keys/
  nlohmann::json config;
  nlohmann::json processor;
  int64_t parameters;
  int64_t tensors;
};

nlohmann::json depth_anything_v2(int64_t hidden, int64_t heads, int64_t layers, std::vector<int> out,
                                 std::vector<int> neck, int64_t fusion) {
  nlohmann::json backbone = {{"model_type", "dinov2"}, {"hidden_size", hidden}, {"num_attention_heads", heads},
                             {"image_size", 518},      {"patch_size", 14},       {"reshape_hidden_states", false},
                             {"out_indices", out}};
  std::vector<std::string> features;
  for (int i : out) features.push_back("stage" + std::to_string(i));
  backbone["out_features"] = features;
  if (layers != 12) backbone["num_hidden_layers"] = layers;
  return {{"architectures", {"DepthAnythingForDepthEstimation"}},
          {"backbone", nullptr},
          {"backbone_config", backbone},
          {"fusion_hidden_size", fusion},
          {"head_hidden_size", 32},
          {"head_in_index", -1},
          {"initializer_range", 0.02},
          {"model_type", "depth_anything"},
          {"neck_hidden_sizes", neck},
          {"patch_size", 14},
          {"reassemble_factors", {4, 2, 1, 0.5}},
          {"reassemble_hidden_size", hidden},
          {"torch_dtype", "float32"},
          {"transformers_version", "4.43.0.dev0"},
          {"use_pretrained_backbone", false}};
}

std::vector<RealModel> real_models() {
  const nlohmann::json v2_processor = {{"do_normalize", true},      {"do_rescale", true},
                                       {"do_resize", true},         {"ensure_multiple_of", 14},
                                       {"image_mean", {0.485, 0.456, 0.406}},
                                       {"image_processor_type", "DPTImageProcessor"},
                                       {"image_std", {0.229, 0.224, 0.225}},
                                       {"keep_aspect_ratio", true}, {"resample", 3},
                                       {"rescale_factor", 0.00392156862745098},
                                       {"size", {{"height", 518}, {"width", 518}}}};
  // Intel/dpt-large: the legacy feature-extractor file (size as one integer).
  const nlohmann::json dpt_processor = {{"do_normalize", true},   {"do_resize", true},
                                        {"feature_extractor_type", "DPTFeatureExtractor"},
                                        {"image_mean", {0.5, 0.5, 0.5}}, {"image_std", {0.5, 0.5, 0.5}},
                                        {"keep_aspect_ratio", false}, {"ensure_multiple_of", 1},
                                        {"resample", 2},        {"size", 384}};
  const nlohmann::json dpt_large = {{"architectures", {"DPTForDepthEstimation"}},
                                    {"model_type", "dpt"},
                                    {"hidden_size", 1024},
                                    {"num_hidden_layers", 24},
                                    {"num_attention_heads", 16},
                                    {"intermediate_size", 4096},
                                    {"hidden_act", "gelu"},
                                    {"layer_norm_eps", 1e-12},
                                    {"image_size", 384},
                                    {"patch_size", 16},
                                    {"qkv_bias", true},
                                    {"backbone_out_indices", {5, 11, 17, 23}},
                                    {"readout_type", "project"},
                                    {"reassemble_factors", {4, 2, 1, 0.5}},
                                    {"neck_hidden_sizes", {256, 512, 1024, 1024}},
                                    {"fusion_hidden_size", 256},
                                    {"head_in_index", -1},
                                    {"use_batch_norm_in_fusion_residual", false},
                                    {"hidden_dropout_prob", 0.0},
                                    {"attention_probs_dropout_prob", 0.0},
                                    {"initializer_range", 0.02},
                                    {"semantic_loss_ignore_index", 255},
                                    {"auxiliary_loss_weight", 0.4},
                                    {"use_auxiliary_head", true},
                                    {"semantic_classifier_dropout", 0.1}};
  return {
      {"depth-anything-v2-small-hf", depth_anything_v2(384, 6, 12, {3, 6, 9, 12}, {48, 96, 192, 384}, 64), v2_processor,
       24785089, 287},
      {"depth-anything-v2-base-hf", depth_anything_v2(768, 12, 12, {3, 6, 9, 12}, {96, 192, 384, 768}, 128),
       v2_processor, 97470785, 287},
      {"depth-anything-v2-large-hf", depth_anything_v2(1024, 16, 24, {5, 12, 18, 24}, {256, 512, 1024, 1024}, 256),
       v2_processor, 335315649, 503},
      {"dpt-large", dpt_large, dpt_processor, 343030465, 462},
  };
}

std::string key_list(const std::string& name) { return k3::test::source_dir() + "/../shared/specs/depth-keys/" + name + ".txt"; }

bool key_lists_present() { return std::filesystem::is_directory(k3::test::source_dir() + "/../shared/specs/depth-keys"); }

// A model folder whose safetensors header lists the spec's names and shapes (F32), data by truncate.
void write_sparse_folder(const std::string& dir, const RealModel& model) {
  k3::test::write_file(dir + "/config.json", model.config.dump(2));
  k3::test::write_file(dir + "/preprocessor_config.json", model.processor.dump(2));
  std::vector<k3::TensorToWrite> entries;
  for (const auto& [name, shape] : k3::test::core::read_key_list(key_list(model.name)))
    entries.push_back({name, k3::DType::F32, shape, nullptr});
  k3::write_safetensors(dir + "/model.safetensors", entries, {{"format", "pt"}}, /*sparse=*/true);
}

}  // namespace

TEST_CASE("full-size depth models have exactly the checkpoints' names and shapes", "[unit]") {
  if (!key_lists_present()) {
    k3::test::skip("specs/depth-keys not found beside the source tree");
    return;
  }
  for (const auto& model : real_models()) {
    INFO(model.name);
    const auto config = k3::depth::DepthModelConfig::from_json(model.config, model.name + "/config.json");
    CHECK(config.warnings.empty());
    k3::depth::DepthModel module(config);
    const auto expected = k3::test::core::read_key_list(key_list(model.name));
    const auto got = k3::test::core::parameter_shapes(*module);
    CHECK(k3::test::core::describe_key_differences(expected, got) == "");
    CHECK(static_cast<int64_t>(got.size()) == model.tensors);
    CHECK(k3::nn::parameter_count(*module) == model.parameters);
  }
}

TEST_CASE("inspect: full-size depth folders from sparse files have the spec's counts", "[unit]") {
  if (!key_lists_present()) {
    k3::test::skip("specs/depth-keys not found beside the source tree");
    return;
  }
  k3::test::TempDir root("inspect_depth_full_size");
  for (const auto& model : real_models()) {
    INFO(model.name);
    const std::string dir = root / model.name;
    std::filesystem::create_directories(dir);
    write_sparse_folder(dir, model);
    const auto result = k3::test::run(k3::test::shell_quote(k3::test::k3anim_path()) + " inspect --json --model " +
                                      k3::test::shell_quote(dir) + " 2>&1");
    INFO(result.output.substr(0, 2000));
    REQUIRE(result.exit_code == 0);
    const auto report = nlohmann::json::parse(result.output)["depth_model"];
    std::cout << "[inspect] " << model.name << ": " << report["class"].get<std::string>() << ", "
              << report["parameters"].get<int64_t>() << " parameters in " << report["tensors"].get<int64_t>()
              << " tensors (architecture " << report["architecture_parameters"].get<int64_t>() << ")\n";
    CHECK(report["parameters"].get<int64_t>() == model.parameters);
    CHECK(report["tensors"].get<int64_t>() == model.tensors);
    CHECK(report["architecture_parameters"].get<int64_t>() == model.parameters);
    CHECK(report["missing"].empty());
    CHECK(report["unexpected"].empty());
    CHECK(report["mis_shaped"].empty());
  }
}

TEST_CASE("inspect: a depth folder with a wrong tensor fails with one line naming it", "[unit]") {
  if (!key_lists_present()) {
    k3::test::skip("specs/depth-keys not found beside the source tree");
    return;
  }
  k3::test::TempDir dir("inspect_depth_broken");
  auto model = real_models().front();
  write_sparse_folder(dir.path, model);
  std::vector<k3::TensorToWrite> entries;
  for (auto [name, shape] : k3::test::core::read_key_list(key_list(model.name))) {
    if (name == "head.conv3.weight") shape = {1, 16, 1, 1};
    if (name == "backbone.layernorm.bias") continue;
    entries.push_back({name, k3::DType::F32, shape, nullptr});
  }
  k3::write_safetensors(dir / "model.safetensors", entries, {}, true);
  const auto result = k3::test::run(k3::test::shell_quote(k3::test::k3anim_path()) + " inspect --model " +
                                    k3::test::shell_quote(dir.path) + " 2>&1");
  INFO(result.output);
  CHECK(result.exit_code != 0);
  CHECK(result.output.find("backbone.layernorm.bias") != std::string::npos);
  CHECK(result.output.find("head.conv3.weight") != std::string::npos);
}
