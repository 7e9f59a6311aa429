// The memory plan at full size (a sparse full-size folder: the real names, shapes and dtypes), for
// a CUDA device in fp16 at 1024 px, with the user's --memory-limit standing in for the card:
// offloading must lower the need in the order none > model > sequential, and the refusal must
// name needed and available bytes with the next step that could help. No GPU is needed: the plan
// reads safetensors headers and configs only. A depth model (the 3D warp's) adds its weights.
#include "base/byte_size.h"
#include "base/errors.h"
#include "src/pipeline/memory_plan.h"
#include "src/public/runtime.h"
#include "src/io/model_folder.h"
#include "src/io/safetensors.h"
#include "tests/core/golden.h"
#include "tests/support/full_size_model.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <iostream>

namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

// A full-size sparse Kandinsky 3 folder in a temporary directory, opened.
struct FullSizeFolder {
  k3::test::TempDir dir{"memory-plan"};
  std::string path = dir / "kandinsky-3";
  k3::ModelFolder folder = [this] {
    k3::test::write_full_size_kandinsky3(path, k3::test::fixtures_root() + "/k3-tiny/tokenizer");
    return k3::ModelFolder::open(path);
  }();
};

k3::PlanRequest cuda_request(k3::OffloadMode offload, int64_t limit) {
  k3::PlanRequest request;
  request.device = torch::Device(torch::kCUDA);
  request.image_dtype = torch::kHalf;
  request.text_dtype = torch::kHalf;
  request.offload = offload;
  request.limit_bytes = limit;
  return request;
}

}  // namespace

TEST_CASE("memory plan at full size: offloading lowers the CUDA need and the refusal says what would help", "[unit]") {
  K3_REQUIRE_FIXTURES();
  const FullSizeFolder full;
  const auto& folder = full.folder;
  // A 12 GB card after the CUDA context: about 11 GiB.
  const int64_t card = 11 * kGiB;
  const auto none = k3::plan_memory(folder, cuda_request(k3::OffloadMode::None, card));
  const auto model_offload = k3::plan_memory(folder, cuda_request(k3::OffloadMode::Model, card));
  const auto sequential = k3::plan_memory(folder, cuda_request(k3::OffloadMode::Sequential, card));
  std::cout << "[plan] " << none.summary() << "\n[plan] model: " << model_offload.summary()
            << "\n[plan] sequential: " << sequential.summary() << "\n";
  CHECK(none.needed() > model_offload.needed());
  CHECK(model_offload.needed() > sequential.needed());
  // Everything resident: UNet + MoVQ in fp16 (5.7 + 0.5 GiB) plus the decoder's activations.
  CHECK(none.image_phase > 11 * kGiB);
  CHECK_FALSE(none.fits());
  CHECK(model_offload.fits());  // what "auto" picks on such a card (src/pipeline/generator.cpp)
  CHECK_THROWS_WITH(k3::require_fit(none), Catch::Contains("available") && Catch::Contains("try --offload model"));
  const auto tiny_card = k3::plan_memory(folder, cuda_request(k3::OffloadMode::Model, 2 * kGiB));
  CHECK_THROWS_WITH(k3::require_fit(tiny_card), Catch::Contains("try --offload sequential"));
  const auto tiny_sequential = k3::plan_memory(folder, cuda_request(k3::OffloadMode::Sequential, 2 * kGiB));
  CHECK_THROWS_AS(k3::require_fit(tiny_sequential), k3::ResourceError);
  CHECK_THROWS_WITH(k3::require_fit(tiny_sequential), Catch::Contains("try a smaller size"));
}

TEST_CASE("memory plan: a depth model beside the UNet is counted in the image phase, in the image dtype", "[unit]") {
  K3_REQUIRE_FIXTURES();
  if (!k3::test::fixtures_present("depth-tiny")) return k3::test::missing_fixtures("depth-tiny fixtures absent");
  const auto folder = k3::ModelFolder::open(k3::golden::model_dir());
  k3::PlanRequest request;
  request.width = request.height = 256;
  const auto without = k3::plan_memory(folder, request);
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(k3::test::fixtures_root() + "/depth-tiny")) {
    const std::string weights = entry.path().string() + "/model.safetensors";
    if (!std::filesystem::exists(weights)) continue;
    const auto file = k3::SafetensorsFile::open(weights);
    int64_t parameters = 0;
    for (const auto& [name, record] : file->tensors()) parameters += record.numel();
    request.extras = {{"depth", {weights}}};
    const auto with = k3::plan_memory(folder, request);
    std::cout << "[plan] with " << entry.path().filename().string() << ": " << with.summary() << "\n";
    CHECK(with.image_phase - without.image_phase == parameters * 4);  // float32 on the CPU
    CHECK(with.components.size() == without.components.size() + 1);
    CHECK(with.summary().find("depth fp32") != std::string::npos);
    ++checked;
  }
  CHECK(checked > 0);
}

TEST_CASE("memory plan at full size on the CPU: fp32 at 1024 px fits 16 GiB only with model offload", "[unit]") {
  K3_REQUIRE_FIXTURES();
  const FullSizeFolder full;
  const auto& folder = full.folder;
  k3::PlanRequest request;  // cpu, fp32, 1024 x 1024
  request.limit_bytes = 16 * kGiB;
  const auto none = k3::plan_memory(folder, request);
  request.offload = k3::OffloadMode::Model;
  const auto offloaded = k3::plan_memory(folder, request);
  request.offload = k3::OffloadMode::Sequential;  // no such thing on the CPU: planned as none
  const auto sequential = k3::plan_memory(folder, request);
  std::cout << "[plan] cpu: " << none.summary() << "\n[plan] cpu, model offload: " << offloaded.summary() << "\n";
  CHECK_FALSE(none.fits());
  CHECK_THROWS_WITH(k3::require_fit(none), Catch::Contains("try --offload model"));
  CHECK(offloaded.fits());
  // The UNet phase (weights + its activations) bounds it: measured 15.4 GiB by bench_pipeline_full.
  CHECK(offloaded.image_phase > 14 * kGiB);
  CHECK(sequential.needed() == none.needed());
}

TEST_CASE("memory plan: the UNet's CUDA graph keeps its activations through the MoVQ phases", "[unit]") {
  K3_REQUIRE_FIXTURES();
  const FullSizeFolder full;
  const int64_t card = 80 * kGiB;
  k3::set_cuda_graphs(false);
  const auto eager = k3::plan_memory(full.folder, cuda_request(k3::OffloadMode::None, card));
  auto cpu_request = cuda_request(k3::OffloadMode::None, card);
  cpu_request.device = torch::Device(torch::kCPU);
  const auto cpu_eager = k3::plan_memory(full.folder, cpu_request);
  k3::set_cuda_graphs(true);
  const auto graphed = k3::plan_memory(full.folder, cuda_request(k3::OffloadMode::None, card));
  const auto cpu_graphed = k3::plan_memory(full.folder, cpu_request);
  const auto offloaded = k3::plan_memory(full.folder, cuda_request(k3::OffloadMode::Model, card));
  k3::set_cuda_graphs(false);
  const auto offloaded_eager = k3::plan_memory(full.folder, cuda_request(k3::OffloadMode::Model, card));
  k3::set_cuda_graphs(true);
  std::cout << "[plan] CUDA none, eager " << k3::format_bytes(eager.image_phase) << ", graphed "
            << k3::format_bytes(graphed.image_phase) << "\n";
  // Both activation sets at once: more than the larger one alone, less than the two sums' bound.
  CHECK(graphed.image_phase > eager.image_phase);
  CHECK(graphed.image_phase - eager.image_phase < eager.activations);
  // No graph on the CPU, none under offloading: the switch changes nothing there.
  CHECK(cpu_graphed.image_phase == cpu_eager.image_phase);
  CHECK(offloaded.image_phase == offloaded_eager.image_phase);
}
