#include "tests/support/fixture_set.h"

#include "src/public/model_canvas.h"
#include "tests/support/test_support.h"

#include <algorithm>
#include <fstream>
#include <numeric>
#include <stdexcept>

namespace k3::test::fixture {

std::string model_dir() { return fixtures_root() + "/k3-tiny"; }
std::string golden_dir() { return fixtures_root() + "/k3-tiny-golden"; }

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": expected a readable JSON file, got none");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": expected JSON, got a parse error: " + e.what());
  }
}

std::string PipelineCase::init_image_png() const { return golden_dir() + "/" + name + "_init_image.png"; }

namespace {

template <typename T>
std::optional<T> optional_value(const nlohmann::json& json, const char* key) {
  if (!json.contains(key) || json.at(key).is_null()) return std::nullopt;
  return json.at(key).get<T>();
}

PipelineCase case_of(const std::string& name, const nlohmann::json& json) {
  PipelineCase c;
  c.name = name;
  c.prompt = json.at("prompt").get<std::string>();
  c.negative_prompt = optional_value<std::string>(json, "negative_prompt");
  c.steps = json.at("steps").get<int>();
  c.guidance = json.at("guidance").get<double>();
  c.seed = json.at("seed").get<uint64_t>();
  c.strength = optional_value<double>(json, "strength");
  if (!c.image_to_image()) {
    c.height = json.at("height").get<int64_t>();
    c.width = json.at("width").get<int64_t>();
    c.latents_seed = optional_value<uint64_t>(json, "latents_seed");
  }
  return c;
}

}  // namespace

std::vector<PipelineCase> pipeline_cases() {
  const auto meta = read_json(golden_dir() + "/meta.json");
  std::vector<PipelineCase> out;
  for (const auto& item : meta.at("pipelines").items()) out.push_back(case_of(item.key(), item.value()));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

PipelineCase first_text_to_image_case() {
  for (auto& c : pipeline_cases())
    if (!c.image_to_image()) return c;
  throw std::runtime_error(golden_dir() + "/meta.json: expected a text-to-image case in \"pipelines\", got none");
}

ModelGeometry model_geometry() {
  const auto unet = read_json(model_dir() + "/unet/config.json");
  const auto movq = read_json(model_dir() + "/movq/config.json");
  const auto t5 = read_json(model_dir() + "/text_encoder/config.json");
  ModelGeometry g;
  g.latent_channels = movq.at("latent_channels").get<int64_t>();
  g.text_width = t5.at("d_model").get<int64_t>();
  g.context_width = unet.at("cross_attention_dim").get<int64_t>();
  g.unet_groups = unet.at("groups").get<int64_t>();
  g.unet_attention_head_dim = unet.at("attention_head_dim").get<int64_t>();
  g.movq_norm_groups = movq.at("norm_num_groups").get<int64_t>();
  g.movq_levels = static_cast<int64_t>(movq.at("block_out_channels").size());
  g.downscale = int64_t{1} << (g.movq_levels - 1);
  // The one size policy (src/public/model_canvas.h): the MoVQ's factor times the UNet's; a
  // preset's width and height are at least 64 pixels.
  g.size_multiple = k3::model_size_multiple(static_cast<int>(g.downscale), static_cast<int>(unet.at("block_out_channels").size()));
  g.image_side = std::lcm(g.size_multiple, int64_t{64});
  return g;
}

std::vector<DepthModel> depth_models() {
  const auto meta = read_json(fixtures_root() + "/depth-tiny-golden/meta.json");
  std::vector<DepthModel> out;
  for (const auto& item : meta.at("models").items())
    out.push_back({item.key(), item.value().at("kind").get<std::string>(), fixtures_root() + "/depth-tiny/" + item.key()});
  return out;
}

std::string first_depth_model(const std::string& kind) {
  for (const auto& m : depth_models())
    if (m.kind == kind) return m.dir;
  throw std::runtime_error(fixtures_root() + "/depth-tiny-golden/meta.json: expected a model of kind '" + kind +
                           "', got none");
}

std::vector<std::string> depth_pictures() {
  const auto meta = read_json(fixtures_root() + "/depth-tiny-golden/meta.json");
  std::vector<std::string> out;
  for (const auto& image : meta.at("images")) out.push_back(fixtures_root() + "/depth-tiny-golden/" + image.at("file").get<std::string>());
  return out;
}

}  // namespace k3::test::fixture
