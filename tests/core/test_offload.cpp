// Offloading's plumbing on the CPU (where it moves nothing): the block hook runs around every
// down/up block in order, the stages bring the right parts in, and the outputs stay bit for bit
// the same. Its memory effect is measured on a GPU (bench_pipeline_full --offload, [gpu] tests).
#include "src/offload.h"
#include "src/errors.h"
#include "tests/core/core_golden_support.h"
#include "tests/core/golden.h"

#include <catch2/catch.hpp>

TEST_CASE("offload modes: parsing, and the sequential hook around each UNet block", "[golden]") {
  CHECK(k3::parse_offload("none") == k3::OffloadMode::None);
  CHECK(k3::parse_offload("model") == k3::OffloadMode::Model);
  CHECK(k3::parse_offload("sequential") == k3::OffloadMode::Sequential);
  CHECK_THROWS_WITH(k3::parse_offload("disk"), Catch::Contains("expected none, model or sequential, got 'disk'"));
  K3_REQUIRE_FIXTURES();
  const auto model_dir = k3::golden::model_dir();
  auto golden = k3::test::core::fixture_tensors(k3::golden::golden_file("unet.safetensors"));
  k3::Kandinsky3UNet unet(k3::UNetConfig::from_file(model_dir + "/unet/config.json"));
  k3::test::core::load_component(*unet, model_dir, "unet");
  k3::VQModel movq(k3::MoVQConfig::from_file(model_dir + "/movq/config.json"));
  k3::test::core::load_component(*movq, model_dir, "movq");
  torch::NoGradGuard no_grad;
  std::string prefix;
  for (const auto& entry : golden)
    if (entry.first.size() > 4 && entry.first.compare(entry.first.size() - 4, 4, ".out") == 0)
      prefix = entry.first.substr(0, entry.first.size() - 4);
  REQUIRE(!prefix.empty());
  auto run = [&] {
    return unet->forward(golden.at(prefix + ".sample"), golden.at(prefix + ".timestep"),
                         golden.at(prefix + ".encoder_hidden_states"),
                         golden.at(prefix + ".encoder_attention_mask").to(torch::kBool));
  };
  const auto plain = run();
  {
    k3::Offloader offloader(k3::OffloadMode::Sequential, torch::kCPU, unet, movq);
    std::vector<std::pair<const torch::nn::Module*, bool>> calls;
    auto inner = unet->block_hook;
    unet->block_hook = [&](torch::nn::Module& block, bool entering) {
      calls.emplace_back(&block, entering);
      inner(block, entering);
    };
    offloader.before_unet();
    CHECK(torch::equal(run(), plain));
    const auto blocks = unet->down_blocks->size() + unet->up_blocks->size();
    REQUIRE(calls.size() == 2 * blocks);
    for (std::size_t i = 0; i < calls.size(); i += 2) {
      CHECK(calls[i].first == calls[i + 1].first);  // each block in, then out, before the next
      CHECK(calls[i].second);
      CHECK_FALSE(calls[i + 1].second);
    }
    CHECK(calls.front().first == unet->down_blocks[0].get());
    CHECK(calls.back().first == unet->up_blocks[unet->up_blocks->size() - 1].get());
    unet->block_hook = inner;
  }
  CHECK_FALSE(unet->block_hook);  // the offloader takes its hook away with it
  {
    k3::Offloader offloader(k3::OffloadMode::Model, torch::kCPU, unet, movq);
    CHECK_FALSE(unet->block_hook);  // model offload moves whole components, not blocks
    offloader.before_movq_decode();
    offloader.before_unet();
    CHECK(torch::equal(run(), plain));
  }
}
