// T5 encoder against transformers' T5EncoderModel on the tiny fixture (last_hidden_state), plus the
// configs: parsing rules, the FLAN-UL2 parameter count and checkpoint names of the full-size model.
#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/models/t5_encoder.h"
#include "src/models/t5_streamed.h"
#include "tests/core/golden.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>

namespace {
k3::T5Encoder load_tiny_encoder() {
  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  auto config = k3::T5EncoderConfig::from_json(folder.config("text_encoder"), folder.config_path("text_encoder"));
  k3::T5Encoder encoder(config);
  encoder->load(k3::WeightStore::open_files(folder.weight_files("text_encoder")), torch::kFloat32, torch::kCPU);
  return encoder;
}
}  // namespace

TEST_CASE("T5 encoder last_hidden_state matches transformers", "[golden]") {
  K3_REQUIRE_FIXTURES();
  k3::golden::GoldenFile golden("text_encoder.safetensors");
  auto encoder = load_tiny_encoder();
  auto got = encoder->forward(golden.get("input_ids"), golden.get("attention_mask"));
  k3::golden::check_rel_l2("[t5] last_hidden_state", got, golden.get("last_hidden_state"),
                           k3::golden::tolerance::component);
}

TEST_CASE("T5 encoder runs in bfloat16 and keeps wo in float32 under float16", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  const auto config = k3::T5EncoderConfig::from_file(folder.config_path("text_encoder"));
  const auto store = k3::WeightStore::open_files(folder.weight_files("text_encoder"));
  k3::golden::GoldenFile golden("text_encoder.safetensors");
  k3::T5Encoder bf16(config);
  bf16->load(store, torch::kBFloat16, torch::kCPU);
  auto got = bf16->forward(golden.get("input_ids"), golden.get("attention_mask"));
  CHECK(got.scalar_type() == torch::kBFloat16);
  const double error = k3::golden::rel_l2(got, golden.get("last_hidden_state"));
  std::cout << "[t5] bfloat16 last_hidden_state rel L2 " << error << " (bf16 rounding expected)\n";
  CHECK(error <= 5e-2);
  k3::T5Encoder half(config);
  half->load(store, torch::kHalf, torch::kCPU);
  for (const auto& item : half->named_parameters()) {
    const bool is_wo = item.key().find(".wo.") != std::string::npos;
    INFO(item.key());
    CHECK(item.value().scalar_type() == (is_wo ? torch::kFloat32 : torch::kHalf));
  }
}

TEST_CASE("FLAN-UL2 encoder: 8,721,797,632 parameters with checkpoint names", "[unit]") {
  k3::T5Encoder encoder(k3::T5EncoderConfig::flan_ul2());  // uninitialised: no memory touched
  const int64_t count = k3::nn::parameter_count(*encoder);
  std::cout << "[t5] FLAN-UL2 encoder parameters: " << count << "\n";
  CHECK(count == 8721797632LL);
  auto params = encoder->named_parameters();
  CHECK(params.contains("shared.weight"));
  CHECK(params.contains("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"));
  CHECK_FALSE(params.contains("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"));
  CHECK(params.contains("encoder.block.31.layer.1.DenseReluDense.wi_0.weight"));
  CHECK(params["encoder.block.31.layer.1.DenseReluDense.wo.weight"].sizes() == torch::IntArrayRef({4096, 16384}));
  CHECK(params.contains("encoder.final_layer_norm.weight"));
  CHECK(params.size() == 1 + 32 * 9 + 1 + 1);
}

TEST_CASE("T5 config: activations, required keys and unknown keys", "[unit]") {
  auto json = k3::T5EncoderConfig::flan_ul2().to_json();
  json.erase("dense_act_fn");
  json.erase("is_gated_act");
  json["feed_forward_proj"] = "gated-gelu";
  auto gelu = k3::T5EncoderConfig::from_json(json, "config.json");
  CHECK(gelu.dense_act_fn == k3::T5Activation::GeluNew);
  CHECK(gelu.to_json()["dense_act_fn"] == "gelu_new");
  CHECK(gelu.is_gated_act);
  json["feed_forward_proj"] = "relu";
  auto relu = k3::T5EncoderConfig::from_json(json, "config.json");
  CHECK_FALSE(relu.is_gated_act);
  k3::T5Encoder plain(relu);
  CHECK(plain->named_parameters().contains("encoder.block.0.layer.1.DenseReluDense.wi.weight"));
  json["feed_forward_proj"] = "gated-silu-x";
  CHECK_THROWS_AS(k3::T5EncoderConfig::from_json(json, "config.json"), k3::ConfigError);
  json["feed_forward_proj"] = "gated-silu";
  json["brand_new_key"] = true;
  CHECK(k3::T5EncoderConfig::from_json(json, "config.json").warnings.size() == 1);
  json.erase("d_model");
  CHECK_THROWS_WITH(k3::T5EncoderConfig::from_json(json, "te/config.json"),
                    Catch::Contains("te/config.json") && Catch::Contains("d_model"));
}

TEST_CASE("T5 activations: gelu_new and relu encoders run and differ", "[unit]") {
  auto config = k3::T5EncoderConfig::flan_ul2();
  config.vocab_size = 20;
  config.d_model = 8;
  config.d_kv = 4;
  config.d_ff = 16;
  config.num_layers = 2;
  config.num_heads = 2;
  auto ids = torch::tensor({{3, 5, 7, 1, 0, 0}}, torch::kLong);
  auto mask = torch::tensor({{1, 1, 1, 1, 0, 0}}, torch::kLong);
  std::vector<torch::Tensor> outputs;
  for (const char* proj : {"gated-silu", "gated-gelu", "relu"}) {
    auto json = config.to_json();
    json.erase("dense_act_fn");
    json.erase("is_gated_act");
    json["feed_forward_proj"] = proj;
    k3::T5Encoder encoder(k3::T5EncoderConfig::from_json(json, "config.json"));
    k3::nn::fill_random_(*encoder, 7);
    auto out = encoder->forward(ids, mask);
    REQUIRE(torch::isfinite(out).all().item<bool>());
    outputs.push_back(out);
  }
  CHECK(k3::golden::rel_l2(outputs[0], outputs[1]) > 1e-4);
}

TEST_CASE("T5 relative position buckets of FLAN-UL2 (32 buckets, distance 128)", "[unit]") {
  // specs/kandinsky3.md 4.2: |rel| 0-7 exact; 8-11 -> 8; 12-15 -> 9; 16-22 -> 10; 23-31 -> 11;
  // 32-45 -> 12; 46-63 -> 13; 64-90 -> 14; >= 91 -> 15; positive rel adds 16.
  auto expected_for = [](int64_t distance) -> int64_t {
    if (distance < 8) return distance;
    const int64_t upper[] = {11, 15, 22, 31, 45, 63, 90};
    for (int64_t k = 0; k < 7; ++k)
      if (distance <= upper[k]) return 8 + k;
    return 15;
  };
  auto relative = torch::arange(-300, 301, torch::kLong);
  auto buckets = k3::T5AttentionImpl::relative_position_bucket(relative, 32, 128);
  int mismatches = 0;
  for (int64_t i = 0; i < relative.numel(); ++i) {
    const int64_t rel = relative[i].item<int64_t>();
    const int64_t want = expected_for(std::abs(rel)) + (rel > 0 ? 16 : 0);
    if (buckets[i].item<int64_t>() != want) {
      ++mismatches;
      INFO("rel " << rel);
      CHECK(buckets[i].item<int64_t>() == want);
    }
  }
  std::cout << "[t5] relative position buckets: " << mismatches << " mismatches over rel -300..300\n";
  CHECK(mismatches == 0);
}

TEST_CASE("T5 encoder streamed block by block from the shards matches transformers and the resident one", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  const auto config = k3::T5EncoderConfig::from_file(folder.config_path("text_encoder"));
  auto store = std::make_shared<const k3::WeightStore>(k3::WeightStore::open_files(folder.weight_files("text_encoder")));
  k3::golden::GoldenFile golden("text_encoder.safetensors");
  k3::StreamedT5Encoder streamed(config, store, torch::kFloat32, torch::kCPU);
  auto got = streamed.forward(golden.get("input_ids"), golden.get("attention_mask"));
  k3::golden::check_rel_l2("[t5] streamed last_hidden_state", got, golden.get("last_hidden_state"),
                           k3::golden::tolerance::component);
  // The same modules in the same order, one prompt at a time: bit for bit the resident encoder's
  // output for each prompt alone, so a prompt's embedding does not depend on its batch.
  auto encoder = load_tiny_encoder();
  const auto ids = golden.get("input_ids"), mask = golden.get("attention_mask");
  for (int64_t b = 0; b < ids.size(0); ++b)
    CHECK(torch::equal(got.narrow(0, b, 1), encoder->forward(ids.narrow(0, b, 1), mask.narrow(0, b, 1))));
  const auto reversed = torch::flip(ids, {0});
  CHECK(torch::equal(torch::flip(streamed.forward(reversed, torch::flip(mask, {0})), {0}), got));
  // A second pass reads the blocks again (their file pages were given back after the first).
  CHECK(torch::equal(streamed.forward(golden.get("input_ids"), golden.get("attention_mask")), got));
}

TEST_CASE("T5 encoder streamed: a checkpoint that does not match is refused before any block runs", "[unit]") {
  K3_REQUIRE_FIXTURES();
  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  auto config = k3::T5EncoderConfig::from_file(folder.config_path("text_encoder"));
  config.num_layers += 1;  // one block more than the shards hold
  auto store = std::make_shared<const k3::WeightStore>(k3::WeightStore::open_files(folder.weight_files("text_encoder")));
  try {
    k3::StreamedT5Encoder streamed(config, store, torch::kFloat32, torch::kCPU);
    FAIL("expected a WeightError");
  } catch (const k3::WeightError& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK(message.find("missing") != std::string::npos);
    CHECK(message.find("encoder.block." + std::to_string(config.num_layers - 1) + ".") != std::string::npos);
  }
}
