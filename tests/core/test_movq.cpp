// MoVQ (VQModel, spatial norm): architecture against the real checkpoint's key list, config
// parsing, and golden parity with diffusers on the tiny fixture model (encode, decode both ways,
// roundtrip).
#include "src/models/movq.h"

#include "base/errors.h"
#include "tests/core/core_golden_support.h"
#include "tests/core/golden.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
void check_close(const std::string& what, const torch::Tensor& got, const torch::Tensor& want) {
  k3::golden::check_rel_l2("movq " + what, got, want, k3::golden::tolerance::component);
}
}  // namespace

TEST_CASE("full-size MoVQ has exactly the checkpoint's names and shapes", "[unit]") {
  k3::VQModel movq(k3::MoVQConfig::kandinsky3());
  auto expected = k3::test::core::read_key_list(k3::test::source_dir() + "/../shared/specs/kandinsky3-movq-keys.txt");
  auto got = k3::test::core::parameter_shapes(*movq);
  REQUIRE(expected.size() == 431);
  CHECK(k3::test::core::describe_key_differences(expected, got) == "");
  CHECK(k3::test::core::sorted(got) == k3::test::core::sorted(expected));
  CHECK(k3::nn::parameter_count(*movq) == 270669103LL);
  k3::VQModel without_codebook(k3::MoVQConfig::kandinsky3(), /*with_codebook=*/false);
  CHECK(k3::test::core::parameter_shapes(*without_codebook).size() == 430);
}

TEST_CASE("MoVQ config: 0.24-era file gets diffusers' defaults, errors name file and key", "[unit]") {
  nlohmann::json json = {{"_class_name", "VQModel"},
                         {"act_fn", "silu"},
                         {"block_out_channels", {32, 32, 32, 64}},
                         {"down_block_types",
                          {"DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "AttnDownEncoderBlock2D"}},
                         {"up_block_types",
                          {"AttnUpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"}},
                         {"in_channels", 3},
                         {"out_channels", 3},
                         {"latent_channels", 4},
                         {"layers_per_block", 2},
                         {"norm_num_groups", 8},
                         {"norm_type", "spatial"},
                         {"num_vq_embeddings", 64},
                         {"vq_embed_dim", 4},
                         {"sample_size", 64},
                         {"scaling_factor", 0.18215}};
  auto config = k3::MoVQConfig::from_json(json, "movq/config.json");
  CHECK(config.mid_block_add_attention);
  CHECK_FALSE(config.lookup_from_codebook);
  CHECK_FALSE(config.force_upcast);
  CHECK(config.warnings.empty());
  CHECK(config.downscale_factor() == 8);

  auto missing = json;
  missing.erase("latent_channels");
  CHECK_THROWS_WITH(k3::MoVQConfig::from_json(missing, "movq/config.json"),
                    Catch::Contains("movq/config.json") && Catch::Contains("latent_channels"));
  auto bad = json;
  bad["up_block_types"][1] = "UpBlock2D";
  CHECK_THROWS_AS(k3::MoVQConfig::from_json(bad, "x.json"), k3::ConfigError);
  bad = json;
  bad["block_out_channels"] = {16, 32, 32, 64};  // SpatialNorm needs multiples of 32
  CHECK_THROWS_WITH(k3::MoVQConfig::from_json(bad, "x.json"), Catch::Contains("block_out_channels"));
  bad = json;
  bad["extra_thing"] = true;
  CHECK(k3::MoVQConfig::from_json(bad, "x.json").warnings.size() == 1);
}

TEST_CASE("MoVQ matches diffusers: encode, decode (quantised or not), roundtrip", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto model_dir = k3::test::fixtures_root() + "/k3-tiny";
  k3::VQModel movq(k3::MoVQConfig::from_file(model_dir + "/movq/config.json"));
  k3::test::core::load_component(*movq, model_dir, "movq");
  movq->eval();
  torch::NoGradGuard no_grad;
  auto golden = k3::test::core::fixture_tensors(k3::test::fixtures_root() + "/k3-tiny-golden/movq.safetensors");

  int checks = 0;
  for (const auto& [name, tensor] : golden) {
    if (ends_with(name, ".image")) {  // encode case: every `<prefix>.latents*` is the expected encode
      const auto prefix = name.substr(0, name.size() - 6);
      auto latents = movq->encode(tensor);
      for (const auto& [other, want] : golden)
        if (other.rfind(prefix + ".latents", 0) == 0) check_close(other, latents, want), ++checks;
      if (golden.count("roundtrip.sample"))
        check_close("roundtrip.sample", movq->decode(latents), golden.at("roundtrip.sample")), ++checks;
    }
    if (ends_with(name, ".latents") && golden.count(name.substr(0, name.size() - 8) + ".sample")) {
      const auto prefix = name.substr(0, name.size() - 8);
      check_close(prefix + ".sample", movq->decode(tensor, true), golden.at(prefix + ".sample")), ++checks;
      if (golden.count(prefix + ".sample_quantized"))
        check_close(prefix + ".sample_quantized", movq->decode(tensor, false), golden.at(prefix + ".sample_quantized")),
            ++checks;
    }
  }
  CHECK(checks > 0);
}
