// Offloading's plumbing on the CPU (where host-to-device moves are no-ops): the block hook runs
// around every down/up block in order, the stages bring the right parts in, and the outputs stay
// bit for bit the same; CPU model offload really drops the UNet's blocks and re-reads them. Its memory effect is measured on a GPU (bench_pipeline_full --offload, [gpu] tests).
#include "src/pipeline/offload.h"
#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/io/weights.h"
#include "tests/core/core_golden_support.h"
#include "tests/core/golden.h"

#include <catch2/catch.hpp>

namespace {

// One golden UNet case of the fixtures (the last one), run on `unet`.
class GoldenUNetCase {
 public:
  GoldenUNetCase() : golden_(k3::test::core::fixture_tensors(k3::golden::golden_file("unet.safetensors"))) {
    for (const auto& entry : golden_)
      if (entry.first.size() > 4 && entry.first.compare(entry.first.size() - 4, 4, ".out") == 0)
        prefix_ = entry.first.substr(0, entry.first.size() - 4);
  }
  bool found() const { return !prefix_.empty(); }
  torch::Tensor run(k3::Kandinsky3UNet& unet) const {
    return unet->forward(at(".sample"), at(".timestep"), at(".encoder_hidden_states"),
                         at(".encoder_attention_mask").to(torch::kBool));
  }

 private:
  const torch::Tensor& at(const char* key) const { return golden_.at(prefix_ + key); }
  std::map<std::string, torch::Tensor> golden_;
  std::string prefix_;
};

}  // namespace

TEST_CASE("offload modes: parsing, and the sequential hook around each UNet block", "[golden]") {
  CHECK(k3::parse_offload("none") == k3::OffloadMode::None);
  CHECK(k3::parse_offload("model") == k3::OffloadMode::Model);
  CHECK(k3::parse_offload("sequential") == k3::OffloadMode::Sequential);
  CHECK_THROWS_WITH(k3::parse_offload("disk"), Catch::Contains("expected none, model or sequential, got 'disk'"));
  K3_REQUIRE_FIXTURES();
  const auto model_dir = k3::golden::model_dir();
  const GoldenUNetCase golden;
  REQUIRE(golden.found());
  k3::Kandinsky3UNet unet(k3::UNetConfig::from_file(model_dir + "/unet/config.json"));
  k3::test::core::load_component(*unet, model_dir, "unet");
  k3::VQModel movq(k3::MoVQConfig::from_file(model_dir + "/movq/config.json"));
  k3::test::core::load_component(*movq, model_dir, "movq");
  torch::NoGradGuard no_grad;
  auto run = [&] { return golden.run(unet); };
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

TEST_CASE("CPU model offload drops the UNet's blocks during MoVQ's stages and re-reads them bit for bit", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto model_dir = k3::golden::model_dir();
  const auto folder = k3::ModelFolder::open(model_dir);
  auto store = std::make_shared<const k3::WeightStore>(k3::WeightStore::open_files(folder.weight_files("unet")));
  const GoldenUNetCase golden;
  REQUIRE(golden.found());
  k3::Kandinsky3UNet unet(k3::UNetConfig::from_file(model_dir + "/unet/config.json"));
  k3::load_weights_strict(*unet, *store, "unet", torch::kFloat, torch::kCPU);
  k3::VQModel movq(k3::MoVQConfig::from_file(model_dir + "/movq/config.json"));
  k3::test::core::load_component(*movq, model_dir, "movq");
  torch::NoGradGuard no_grad;
  auto run = [&] { return golden.run(unet); };
  const auto plain = run();
  auto block_elements = [&] {
    int64_t n = 0;
    for (auto* list : {&unet->down_blocks, &unet->up_blocks})
      for (const auto& p : (*list)->parameters()) n += p.numel();
    return n;
  };
  const int64_t resident = block_elements();
  REQUIRE(resident > 0);
  k3::Offloader offloader(k3::OffloadMode::Model, torch::kCPU, unet, movq, store, torch::kFloat);
  for (int round = 0; round < 2; ++round) {
    offloader.before_movq_decode();
    CHECK(block_elements() == 0);  // the blocks hold nothing while MoVQ works
    offloader.before_unet();
    CHECK(block_elements() == resident);
    CHECK(torch::equal(run(), plain));
  }
  CHECK_THROWS_WITH(k3::Offloader(k3::OffloadMode::Sequential, torch::kCPU, unet, movq, store, torch::kFloat),
                    Catch::Contains("expected model, got sequential"));
}
