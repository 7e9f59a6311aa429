// CUDA runs of the loading layer, the T5 encoder and the DDPM scheduler against the same golden
// tensors as the CPU tests: float32 to the component tolerance, float16/bfloat16 to their rounding.
// Tagged [gpu]: skipped where no CUDA device is present (CI).
#include "src/sampling/ddpm_scheduler.h"
#include "src/io/model_folder.h"
#include "src/models/t5_encoder.h"
#include "tests/core/golden.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <iostream>

namespace {
bool cuda_present() {
  if (torch::cuda::is_available()) return true;
  k3::test::skip("no CUDA device");
  return false;
}
}  // namespace

TEST_CASE("T5 encoder on CUDA in float32, float16 and bfloat16", "[gpu]") {
  K3_REQUIRE_FIXTURES();
  if (!cuda_present()) return;
  const torch::Device cuda(torch::kCUDA);
  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  const auto config = k3::T5EncoderConfig::from_file(folder.config_path("text_encoder"));
  const auto store = k3::WeightStore::open_files(folder.weight_files("text_encoder"));
  k3::golden::GoldenFile golden("text_encoder.safetensors");
  const auto want = golden.get("last_hidden_state");
  struct Case {
    torch::ScalarType dtype;
    const char* name;
    double tolerance;
  };
  for (const auto& c : {Case{torch::kFloat32, "float32", k3::golden::tolerance::component}, Case{torch::kHalf, "float16", 1e-2},
                        Case{torch::kBFloat16, "bfloat16", 5e-2}}) {
    k3::T5Encoder encoder(config);
    encoder->load(store, c.dtype, cuda);
    CHECK(encoder->shared->weight.device().is_cuda());
    if (c.dtype == torch::kHalf)
      CHECK(encoder->encoder->blocks[0]->feed_forward->DenseReluDense->wo->weight.scalar_type() == torch::kFloat32);
    auto got = encoder->forward(golden.get("input_ids").to(cuda), golden.get("attention_mask").to(cuda));
    CHECK(got.device().is_cuda());
    CHECK(torch::isfinite(got).all().item<bool>());
    const double error = k3::golden::rel_l2(got, want);
    std::cout << "[gpu] T5 " << c.name << " on CUDA: last_hidden_state rel L2 " << error << "\n";
    CHECK(error <= c.tolerance);
  }
}

TEST_CASE("DDPM step and add_noise on CUDA", "[gpu]") {
  K3_REQUIRE_FIXTURES();
  if (!cuda_present()) return;
  const torch::Device cuda(torch::kCUDA);
  const auto json = k3::read_json_file(k3::golden::golden_file("scheduler.json"));
  k3::golden::GoldenFile golden("scheduler.safetensors");
  k3::DDPMScheduler scheduler(k3::SchedulerConfig::from_file(k3::golden::model_dir() + "/scheduler/scheduler_config.json"));
  scheduler.set_timesteps(json["step"]["num_inference_steps"].get<int>());
  for (const auto dtype : {torch::kFloat32, torch::kHalf}) {
    const double tolerance = dtype == torch::kFloat32 ? k3::golden::tolerance::component : 5e-3;
    const auto model_output = golden.get("step.model_output").to(cuda, dtype);
    const auto sample = golden.get("step.sample").to(cuda, dtype);
    const auto& cases = json["step"]["cases"];
    for (std::size_t k = 0; k < cases.size(); ++k) {
      const std::string prefix = "step" + std::to_string(k) + ".";
      const int64_t t = golden.get(prefix + "timestep").item<int64_t>();
      auto out = scheduler.step(model_output, t, sample, golden.get(prefix + "variance_noise").to(cuda, dtype));
      CHECK(out.prev_sample.device().is_cuda());
      CHECK(out.prev_sample.scalar_type() == dtype);
      const double error = k3::golden::rel_l2(out.prev_sample, golden.get(prefix + "prev_sample"));
      std::cout << "[gpu] DDPM step t=" << t << " " << c10::toString(dtype) << " rel L2 " << error << "\n";
      CHECK(error <= tolerance);
      if (dtype == torch::kFloat32) {
        // A CPU generator draws on the CPU and the noise moves to the GPU (diffusers' randn_tensor).
        auto generator = at::detail::createCPUGenerator(cases[k]["generator_seed"].get<uint64_t>());
        auto drawn = scheduler.step(model_output, t, sample, generator);
        CHECK(k3::golden::rel_l2(drawn.prev_sample, golden.get(prefix + "prev_sample")) <= k3::golden::tolerance::component);
      }
    }
    auto noised = scheduler.add_noise(golden.get("add_noise.original").to(cuda, dtype), golden.get("add_noise.noise").to(cuda, dtype),
                                      golden.get("add_noise.timesteps").to(cuda));
    const double error = k3::golden::rel_l2(noised, golden.get("add_noise.out"));
    std::cout << "[gpu] add_noise " << c10::toString(dtype) << " rel L2 " << error << "\n";
    CHECK(error <= tolerance);
  }
}

TEST_CASE("full-size FLAN-UL2 encoder on CUDA: float16 (wo in float32) against float32", "[gpu][slow]") {
  if (!cuda_present()) return;
  const torch::Device cuda(torch::kCUDA);
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  const auto config = k3::T5EncoderConfig::flan_ul2();
  // Random weights drawn on the GPU (about 35 GB in float32), then a float16 copy with wo in float32.
  k3::T5Encoder full(config), half(config);
  auto half_params = half->named_parameters();
  for (auto& item : full->named_parameters()) {
    auto weights = torch::empty(item.value().sizes(), torch::TensorOptions().device(cuda));
    if (weights.dim() == 1) weights.uniform_(0.8, 1.2);  // norm scales
    else if (item.key().find("relative_attention_bias") != std::string::npos) weights.normal_(0.0, 1.0);
    else weights.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(weights.size(1))));
    // Attention logits of unit scale (T5 has no 1/sqrt(d)): a random net with sharper softmaxes
    // is chaotic, and any rounding difference, float32 against float32 included, grows through 32 layers.
    if (item.key().find("SelfAttention.q.") != std::string::npos) weights.div_(std::sqrt(static_cast<double>(config.d_kv)));
    const bool is_wo = item.key().find(".wo.") != std::string::npos;
    half_params[item.key()].set_data(weights.to(is_wo ? torch::kFloat32 : torch::kHalf));
    item.value().set_data(weights);
  }
  const int64_t batch = 2, length = 128;
  auto ids = torch::randint(2, config.vocab_size, {batch, length}, torch::TensorOptions().dtype(torch::kLong).device(cuda));
  auto mask = torch::zeros({batch, length}, ids.options());
  mask[0].narrow(0, 0, 40).fill_(1);
  mask[1].narrow(0, 0, 77).fill_(1);
  auto reference = full->forward(ids, mask);
  half->forward(ids, mask);  // warm-up
  torch::cuda::synchronize();
  const int runs = 5;
  const auto start = std::chrono::steady_clock::now();
  torch::Tensor got;
  for (int i = 0; i < runs; ++i) got = half->forward(ids, mask);
  torch::cuda::synchronize();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / runs;
  CHECK(got.scalar_type() == torch::kHalf);
  CHECK(torch::isfinite(got).all().item<bool>());
  // Compare the real (unpadded) positions, as the pipeline uses them.
  auto weights = mask.unsqueeze(2).to(torch::kFloat32);
  const double error = k3::golden::rel_l2(got.to(torch::kFloat32) * weights, reference * weights);
  std::cout << "[gpu] FLAN-UL2 encoder (8.72B) float16 vs float32 on CUDA: rel L2 " << error << ", " << ms
            << " ms per forward of " << batch << "x" << length << " tokens\n";
  CHECK(error <= 2e-2);
}
