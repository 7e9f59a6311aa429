// Kandinsky3UNet: architecture against the real checkpoint's key list, config parsing, and
// golden parity with diffusers on the tiny fixture model.
#include "src/models/unet.h"

#include "src/nn/conv_dispatch.h"
#include "base/errors.h"
#include "tests/core/core_golden_support.h"
#include "tests/core/golden.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

using k3::golden::rel_l2;
using k3::test::core::fixture_tensors;

TEST_CASE("full-size UNet has exactly the checkpoint's names and shapes", "[unit]") {
  k3::Kandinsky3UNet unet(k3::UNetConfig::kandinsky3());
  auto expected = k3::test::core::read_key_list(k3::test::source_dir() + "/../shared/specs/kandinsky3-unet-keys.txt");
  auto got = k3::test::core::parameter_shapes(*unet);
  REQUIRE(expected.size() == 1071);
  CHECK(k3::test::core::describe_key_differences(expected, got) == "");
  // As sets: the key file lists keys in construction-loop order, PyTorch in registration order.
  CHECK(k3::test::core::sorted(got) == k3::test::core::sorted(expected));
  CHECK(k3::nn::parameter_count(*unet) == 3055348228LL);
}

TEST_CASE("UNet config: defaults, unknown keys, missing keys, bad values", "[unit]") {
  nlohmann::json json = {{"_class_name", "Kandinsky3UNet"}, {"in_channels", 4},     {"time_embedding_dim", 32},
                         {"groups", 2},                     {"attention_head_dim", 8}, {"layers_per_block", 3},
                         {"block_out_channels", {16, 24, 32, 48}}, {"cross_attention_dim", 40},
                         {"encoder_hid_dim", 32},           {"shiny_new_key", 1}};
  auto config = k3::UNetConfig::from_json(json, "unet/config.json");
  CHECK(config.init_channels() == 8);
  REQUIRE(config.warnings.size() == 1);
  CHECK(config.warnings[0].find("shiny_new_key") != std::string::npos);

  auto missing = json;
  missing.erase("groups");
  CHECK_THROWS_AS(k3::UNetConfig::from_json(missing, "unet/config.json"), k3::ConfigError);
  CHECK_THROWS_WITH(k3::UNetConfig::from_json(missing, "unet/config.json"),
                    Catch::Contains("unet/config.json") && Catch::Contains("groups"));
  auto bad = json;
  bad["block_out_channels"] = {16, 24, 32};
  CHECK_THROWS_AS(k3::UNetConfig::from_json(bad, "x.json"), k3::ConfigError);
  bad = json;
  bad["groups"] = 3;  // 16 channels cannot be split into 3 groups
  CHECK_THROWS_WITH(k3::UNetConfig::from_json(bad, "x.json"), Catch::Contains("groups"));
  bad = json;
  bad["_class_name"] = "UNet2DConditionModel";
  CHECK_THROWS_AS(k3::UNetConfig::from_json(bad, "x.json"), k3::ConfigError);
}

TEST_CASE("UNet matches diffusers on every case of unet.safetensors", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto model_dir = k3::test::fixtures_root() + "/k3-tiny";
  auto config = k3::UNetConfig::from_file(model_dir + "/unet/config.json");
  k3::Kandinsky3UNet unet(config);
  k3::test::core::load_component(*unet, model_dir, "unet");
  unet->eval();
  torch::NoGradGuard no_grad;

  auto golden = fixture_tensors(k3::test::fixtures_root() + "/k3-tiny-golden/unet.safetensors");
  // Every convolution algorithm: oneDNN throughout, the matrix-product path wherever it applies,
  // and the default per-shape choice (measured here, kept in memory only).
  const auto was = k3::conv_algorithm();
  k3::set_conv_choice_file("");
  for (auto algorithm : {k3::ConvAlgorithm::OneDNN, k3::ConvAlgorithm::Matmul, k3::ConvAlgorithm::Auto}) {
    k3::set_conv_algorithm(algorithm);
    int cases = 0;
    for (const auto& entry : golden) {
      const auto& name = entry.first;
      if (name.size() < 4 || name.compare(name.size() - 4, 4, ".out") != 0) continue;
      const auto prefix = name.substr(0, name.size() - 4);
      auto out = unet->forward(golden.at(prefix + ".sample"), golden.at(prefix + ".timestep"),
                               golden.at(prefix + ".encoder_hidden_states"),
                               golden.at(prefix + ".encoder_attention_mask").to(torch::kBool));
      k3::golden::check_rel_l2("unet case " + prefix + " (convolutions: " + k3::to_string(algorithm) + ")", out,
                               entry.second, k3::golden::tolerance::component);
      ++cases;
    }
    CHECK(cases > 0);
  }
  k3::set_conv_algorithm(was);
}

TEST_CASE("UNet runs in bfloat16 on the CPU close to float32", "[unit]") {
  // libtorch 1.13's CPU ConvTranspose2d mis-shapes bfloat16 outputs; the up-sampling path works around it.
  torch::NoGradGuard no_grad;
  nlohmann::json json = {{"in_channels", 4},       {"time_embedding_dim", 32}, {"groups", 2},
                         {"attention_head_dim", 8}, {"layers_per_block", 2},   {"block_out_channels", {16, 24, 32, 48}},
                         {"cross_attention_dim", 40}, {"encoder_hid_dim", 32}};
  k3::Kandinsky3UNet unet(k3::UNetConfig::from_json(json, "test"));
  k3::nn::fill_random_(*unet, 5);
  torch::manual_seed(5);
  auto sample = torch::randn({2, 4, 16, 16});
  auto context = torch::randn({2, 7, 32});
  auto mask = torch::ones({2, 7}, torch::kBool);
  auto timestep = torch::tensor(int64_t{500});
  auto reference = unet->forward(sample, timestep, context, mask);
  unet->to(torch::kBFloat16);
  auto half = unet->forward(sample.to(torch::kBFloat16), timestep, context.to(torch::kBFloat16), mask);
  REQUIRE(half.sizes() == reference.sizes());
  const double error = rel_l2(half.to(torch::kFloat), reference);
  std::cout << "unet bf16 vs fp32: relative L2 " << error << "\n";
  CHECK(error <= 5e-2);
}
