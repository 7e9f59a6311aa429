// GPU numerics of the memory plan's dtypes, proven against the CPU in float32 on the tiny fixtures:
// one UNet call per golden case, MoVQ decode, the streamed T5 encoder, a whole text-to-image run
// through the Generator facade, and the offload modes (which must not change a single value).
// Each comparison has a stated bound; [gpu]: skipped where no CUDA device is present (CI).
#include "src/public/generator.h"
#include "src/models/kandinsky3_models.h"
#include "src/io/model_folder.h"
#include "src/models/movq.h"
#include "src/pipeline/offload.h"
#include "src/models/t5_streamed.h"
#include "src/models/unet.h"
#include "tests/core/core_golden_support.h"
#include "tests/core/golden.h"
#include "tests/support/fixture_set.h"

#include <catch2/catch.hpp>

#include <iostream>

namespace {

bool cuda_present() {
  if (torch::cuda::is_available()) return true;
  k3::test::skip("no CUDA device");
  return false;
}

struct HalfCase {
  torch::ScalarType dtype;
  const char* name;
  double bound;  // relative L2 against CPU float32
};
// fp16 keeps 11 significant bits, bf16 8: bf16's bound is 2^3 = 8 times fp16's. Measured on an
// H200 (torch 2.11): UNet fp16 0.0050/0.0087, bf16 0.028/0.062 (about 7x, precision alone);
// MoVQ decode fp16 up to 0.0051, bf16 up to 0.049.
const HalfCase kHalfCases[] = {{torch::kHalf, "fp16", 1e-2}, {torch::kBFloat16, "bf16", 8e-2}};

const char* ends(const std::string& s, const char* suffix) {
  const std::string x = suffix;
  return s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0 ? suffix : nullptr;
}

}  // namespace

TEST_CASE("UNet on CUDA in fp16 and bf16 against the CPU in fp32, every golden case", "[gpu]") {
  K3_REQUIRE_FIXTURES();
  if (!cuda_present()) return;
  const auto model_dir = k3::golden::model_dir();
  auto golden = k3::test::core::fixture_tensors(k3::golden::golden_file("unet.safetensors"));
  torch::NoGradGuard no_grad;
  k3::Kandinsky3UNet reference(k3::UNetConfig::from_file(model_dir + "/unet/config.json"));
  k3::test::core::load_component(*reference, model_dir, "unet");
  for (const auto& c : kHalfCases) {
    k3::Kandinsky3UNet unet(k3::UNetConfig::from_file(model_dir + "/unet/config.json"));
    k3::test::core::load_component(*unet, model_dir, "unet");
    unet->to(torch::kCUDA, c.dtype);
    int cases = 0;
    for (const auto& [name, tensor] : golden) {
      if (!ends(name, ".out")) continue;
      const auto prefix = name.substr(0, name.size() - 4);
      auto input = [&](const char* key) { return golden.at(prefix + key); };
      auto want = reference->forward(input(".sample"), input(".timestep"), input(".encoder_hidden_states"),
                                     input(".encoder_attention_mask").to(torch::kBool));
      auto got = unet->forward(input(".sample").to(torch::kCUDA, c.dtype), input(".timestep").to(torch::kCUDA),
                               input(".encoder_hidden_states").to(torch::kCUDA, c.dtype),
                               input(".encoder_attention_mask").to(torch::kCUDA, torch::kBool));
      const double error = k3::golden::rel_l2(got.to(torch::kCPU, torch::kFloat), want);
      std::cout << "[gpu] unet " << prefix << " " << c.name << ": rel L2 " << error << " (bound " << c.bound << ")\n";
      CHECK(error <= c.bound);
      ++cases;
    }
    CHECK(cases > 0);
  }
}

TEST_CASE("MoVQ decode on CUDA in fp16 and bf16 against the CPU in fp32", "[gpu]") {
  K3_REQUIRE_FIXTURES();
  if (!cuda_present()) return;
  const auto model_dir = k3::golden::model_dir();
  auto golden = k3::test::core::fixture_tensors(k3::golden::golden_file("movq.safetensors"));
  torch::NoGradGuard no_grad;
  k3::VQModel reference(k3::MoVQConfig::from_file(model_dir + "/movq/config.json"));
  k3::test::core::load_component(*reference, model_dir, "movq");
  for (const auto& c : kHalfCases) {
    k3::VQModel movq(k3::MoVQConfig::from_file(model_dir + "/movq/config.json"));
    k3::test::core::load_component(*movq, model_dir, "movq");
    movq->to(torch::kCUDA, c.dtype);
    int cases = 0;
    for (const auto& [name, latents] : golden) {
      if (!ends(name, ".latents")) continue;
      auto want = reference->decode(latents, true);
      auto got = movq->decode(latents.to(torch::kCUDA, c.dtype), true).to(torch::kCPU, torch::kFloat);
      const double error = k3::golden::rel_l2(got, want);
      std::cout << "[gpu] movq decode " << name << " " << c.name << ": rel L2 " << error << " (bound " << c.bound << ")\n";
      CHECK(error <= c.bound);
      ++cases;
    }
    CHECK(cases > 0);
  }
}

TEST_CASE("T5 encoder streamed to CUDA in fp16 (wo fp32) and bf16 against transformers", "[gpu]") {
  K3_REQUIRE_FIXTURES();
  if (!cuda_present()) return;
  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  const auto config = k3::T5EncoderConfig::from_file(folder.config_path("text_encoder"));
  auto store = std::make_shared<const k3::WeightStore>(k3::WeightStore::open_files(folder.weight_files("text_encoder")));
  k3::golden::GoldenFile golden("text_encoder.safetensors");
  for (const auto& c : kHalfCases) {
    k3::StreamedT5Encoder encoder(config, store, c.dtype, torch::kCUDA);
    auto got = encoder.forward(golden.get("input_ids").to(torch::kCUDA), golden.get("attention_mask").to(torch::kCUDA));
    CHECK(got.device().is_cuda());
    const double error = k3::golden::rel_l2(got.to(torch::kCPU, torch::kFloat), golden.get("last_hidden_state"));
    std::cout << "[gpu] streamed T5 " << c.name << ": rel L2 " << error << " (bound " << c.bound << ")\n";
    CHECK(error <= c.bound);
  }
}

TEST_CASE("text-to-image on CUDA in fp16 and bf16 against the CPU in fp32 (Generator facade)", "[gpu]") {
  K3_REQUIRE_FIXTURES();
  if (!cuda_present()) return;
  k3::GenerationRequest request;
  request.prompt = "a lighthouse on a cliff";
  request.negative_prompt = "blurry";
  request.width = request.height = static_cast<int>(k3::test::fixture::model_geometry().image_side);
  request.steps = 4;
  request.seed = 11;
  auto picture = [&](const std::string& device, const std::string& dtype, const std::string& offload) {
    k3::GeneratorOptions options;
    options.model_dir = k3::golden::model_dir();
    options.device = device;
    options.dtype = dtype;
    options.offload = offload;
    const auto image = k3::Generator::load(options)->text_to_image(request);
    return torch::from_blob(const_cast<uint8_t*>(image.pixels.data()), {image.height, image.width, 3}, torch::kUInt8)
        .to(torch::kFloat)
        .clone();
  };
  const auto want = picture("cpu", "fp32", "none");
  // Bound on the 8-bit picture: the seeded draws are the same (CPU generator), so only the
  // rounding of the denoising steps separates the runs.
  for (const auto& c : kHalfCases) {
    const double error = k3::golden::rel_l2(picture("cuda", c.name, "none"), want);
    std::cout << "[gpu] text-to-image " << c.name << ": 8-bit picture rel L2 " << error << " (bound 0.05)\n";
    CHECK(error <= 0.05);
  }
  // Offloading moves weights, never values: fp32 on CUDA with each mode gives one picture.
  const auto none = picture("cuda", "fp32", "none");
  for (const char* mode : {"model", "sequential"}) {
    const double error = k3::golden::rel_l2(picture("cuda", "fp32", mode), none);
    std::cout << "[gpu] text-to-image fp32 offload " << mode << " vs none: rel L2 " << error << "\n";
    CHECK(error == 0.0);
  }
}
