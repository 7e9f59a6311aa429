// The UNet replayed from a CUDA graph (src/nn/cuda_graph.h through UNetDenoiser) against the same
// UNet run eagerly, on every golden case of the tiny fixtures: the replay launches the recorded
// kernels on the same inputs, so the outputs must be equal. On the CPU the switch must change
// nothing and record nothing, and switching it off is said to do nothing there (those parts run
// everywhere; the CUDA part is [gpu]).
#include "src/public/generator.h"
#include "src/public/runtime.h"
#include "src/models/unet.h"
#include "src/nn/cuda_graph.h"
#include "src/sampling/denoiser.h"
#include "tests/core/core_golden_support.h"
#include "tests/core/golden.h"
#include "tests/support/fixture_set.h"

#include <catch2/catch.hpp>

#include <iostream>

namespace {

struct UNetCall {
  std::string name;
  torch::Tensor sample, timestep, embeds, mask;
};

// Every golden UNet case of the fixture set (".out" marks one), moved to `device`/`dtype`.
std::vector<UNetCall> golden_calls(torch::Device device, torch::ScalarType dtype) {
  auto golden = k3::test::core::fixture_tensors(k3::golden::golden_file("unet.safetensors"));
  std::vector<UNetCall> calls;
  for (const auto& [name, tensor] : golden) {
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".out") != 0) continue;
    const auto prefix = name.substr(0, name.size() - 4);
    auto input = [&](const char* key) { return golden.at(prefix + key); };
    calls.push_back({prefix, input(".sample").to(device, dtype), input(".timestep").to(device),
                     input(".encoder_hidden_states").to(device, dtype),
                     input(".encoder_attention_mask").to(device, torch::kBool)});
  }
  return calls;
}

k3::Kandinsky3UNet tiny_unet() {
  const auto model_dir = k3::golden::model_dir();
  k3::Kandinsky3UNet unet(k3::UNetConfig::from_file(model_dir + "/unet/config.json"));
  k3::test::core::load_component(*unet, model_dir, "unet");
  unet->eval();
  return unet;
}

k3::DenoiserContext context_of(const UNetCall& call) {
  k3::DenoiserContext context;
  context.embeds = call.embeds;
  context.mask = call.mask;
  return context;
}

}  // namespace

TEST_CASE("UNet denoiser with CUDA graphs switched on, on the CPU: the plain forward, nothing recorded", "[unit]") {
  K3_REQUIRE_FIXTURES();
  torch::NoGradGuard no_grad;
  auto unet = tiny_unet();
  k3::UNetDenoiser denoiser(unet);
  denoiser.use_cuda_graphs(true);
  // Inputs from the model's own sizes (no reference outputs needed): one guided pair.
  const auto geometry = k3::test::fixture::model_geometry();
  torch::manual_seed(21);
  UNetCall call{"synthetic", torch::randn({2, unet->config().in_channels, geometry.latent_side(), geometry.latent_side()}),
                torch::tensor(int64_t{500}), torch::randn({2, 8, geometry.text_width}), torch::ones({2, 8}, torch::kBool)};
  call.mask[0].slice(0, 3).fill_(false);
  auto got = denoiser.predict_noise(call.sample, call.timestep, context_of(call));
  auto want = unet->forward(call.sample, call.timestep, call.embeds, call.mask);
  CHECK(torch::equal(got, want));
  CHECK(denoiser.graph_recordings() == 0);
}

TEST_CASE("GraphedCall runs its function as it is on CPU tensors", "[unit]") {
  int runs = 0;
  k3::nn::GraphedCall twice([&](const std::vector<torch::Tensor>& in) {
    ++runs;
    return in[0] * 2 + in[1];
  });
  auto a = torch::arange(6, torch::kFloat), b = torch::ones({6});
  CHECK(torch::equal(twice({a, b}), a * 2 + 1));
  CHECK(torch::equal(twice({b, a}), b * 2 + a));
  CHECK(runs == 2);
  CHECK(twice.recordings() == 0);
}

TEST_CASE("UNet replayed from a CUDA graph equals the eager UNet, every golden case", "[gpu]") {
  K3_REQUIRE_FIXTURES();
  if (!torch::cuda::is_available()) {
    k3::test::skip("no CUDA device");
    return;
  }
  std::cout << "[gpu] CUDA graphs supported by this libtorch: " << k3::nn::cuda_graphs_supported() << "\n";
  REQUIRE(k3::nn::cuda_graphs_supported());
  torch::NoGradGuard no_grad;
  for (auto dtype : {torch::kFloat, torch::kHalf}) {
    auto unet = tiny_unet();
    unet->to(torch::kCUDA, dtype);
    k3::UNetDenoiser graphed(unet), eager(unet);
    graphed.use_cuda_graphs(true);
    eager.use_cuda_graphs(false);
    const auto calls = golden_calls(torch::kCUDA, dtype);
    REQUIRE_FALSE(calls.empty());
    // Twice over: the graph is recorded at the first call of a shape and replayed with the next
    // case's values copied into its static inputs whenever consecutive cases share a shape.
    for (int round = 0; round < 2; ++round) {
      for (const auto& call : calls) {
        auto got = graphed.predict_noise(call.sample, call.timestep, context_of(call));
        auto want = eager.predict_noise(call.sample, call.timestep, context_of(call));
        const double error = k3::golden::rel_l2(got.to(torch::kCPU, torch::kFloat), want.to(torch::kCPU, torch::kFloat));
        std::cout << "[gpu] unet graph vs eager " << call.name << " " << c10::toString(dtype) << " round " << round
                  << ": rel L2 " << error << " (bound 0: the same kernels)\n";
        CHECK(error == 0.0);
      }
    }
    const int recorded = graphed.graph_recordings();
    std::cout << "[gpu] graphs recorded for " << calls.size() << " cases x 2 rounds: " << recorded << "\n";
    CHECK(recorded >= 1);
    CHECK(eager.graph_recordings() == 0);
    // Weights that move (a round trip through the CPU) must not leave a graph reading freed
    // memory: the next call records again where the address changed, and still agrees.
    unet->to(torch::kCPU);
    unet->to(torch::kCUDA);
    const auto& call = calls.back();
    auto got = graphed.predict_noise(call.sample, call.timestep, context_of(call));
    auto want = eager.predict_noise(call.sample, call.timestep, context_of(call));
    CHECK(torch::equal(got, want));
  }
}

TEST_CASE("switching CUDA graphs off on the CPU is said to have no effect", "[unit]") {
  K3_REQUIRE_FIXTURES();
  std::vector<std::string> messages;
  k3::GeneratorOptions options;
  options.model_dir = k3::golden::model_dir();
  options.on_message = [&](const std::string& message) { messages.push_back(message); };
  k3::set_cuda_graphs(false);
  k3::GenerationRequest request;
  request.prompt = "a lighthouse";
  request.width = request.height = static_cast<int>(k3::test::fixture::model_geometry().image_side);
  request.steps = 1;
  try {
    k3::Generator::load(options)->text_to_image(request);
  } catch (...) {
    k3::set_cuda_graphs(true);
    throw;
  }
  k3::set_cuda_graphs(true);
  bool said = false;
  for (const auto& message : messages) said = said || message.find("--no-cuda-graphs has no effect") != std::string::npos;
  CHECK(said);
}
