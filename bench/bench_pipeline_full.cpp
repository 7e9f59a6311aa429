// Benchmark (not a test): the whole Kandinsky 3 pipeline at full size under the memory plan, stage
// by stage: T5 streamed over the prompts (then released), UNet + MoVQ loaded, one UNet forward at
// batch 2 (one guided denoising step), MoVQ encode and decode, at 256, 512 and 1024 px. For each
// stage: its time and the peak resident memory during it (VmHWM, reset before each stage through
// /proc/self/clear_refs), beside the memory plan's estimate. With --frame-steps N (0: none) each size
// also runs one diffused 2D frame as the render does it: MoVQ encode, denoise 0.35 of N guided
// steps, MoVQ decode (the warp is a CPU frame operation, timed by bench_frame_ops).
// Without --model it writes a full-size folder of sparse files (zero weights: the arithmetic is the
// real one, the values are not).
// Usage: bench_pipeline_full [--model DIR] [--sizes 256,512,1024] [--dtype auto|fp32|bf16|fp16]
//                            [--device cpu|cuda] [--offload none|model|sequential] [--prompts N] [--threads N]
//                            [--frame-steps N]
#include "src/models/kandinsky3_models.h"
#include "src/pipeline/memory_plan.h"
#include "src/io/model_folder.h"
#include "src/sampling/noise_source.h"
#include "src/pipeline/pipeline.h"
#include "src/public/runtime.h"
#include "tests/support/full_size_model.h"

#include <torch/cuda.h>
#if __has_include(<c10/cuda/CUDACachingAllocator.h>) && __has_include(<cuda_runtime_api.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define K3_CUDA_MEMORY_STATS 1
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
double g_run_peak_gib = 0;  // the largest stage peak
double g_gpu_peak_gib = 0;

// The GPU's peak memory since the last reset (the caching allocator's view: reserved, or allocated
// by tensors when `allocated`), -1 without.
double gpu_peak_gib(bool reset, bool allocated = false) {
#ifdef K3_CUDA_MEMORY_STATS
  if (reset) {
    c10::cuda::CUDACachingAllocator::resetPeakStats(0);
    return 0;
  }
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(0);
  const auto& stat = allocated ? stats.allocated_bytes[0] : stats.reserved_bytes[0];  // [0] = aggregate
  return static_cast<double>(stat.peak) / (1024.0 * 1024.0 * 1024.0);
#else
  (void)reset;
  (void)allocated;
  return -1;
#endif
}

double status_gib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(std::strlen(key))) / (1024.0 * 1024.0);
  return -1;
}

// Starts a stage: the peak resident set is reset to the current one (Linux >= 4.0).
struct Stage {
  std::string name;
  Clock::time_point start;
  bool cuda;
  Stage(std::string n, bool on_cuda) : name(std::move(n)), start(Clock::now()), cuda(on_cuda) {
    std::ofstream("/proc/self/clear_refs") << "5";
    if (cuda) {
      torch::cuda::synchronize();
      gpu_peak_gib(true);
    }
  }
  void done(const std::string& note = "") {
    if (cuda) torch::cuda::synchronize();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double peak = status_gib("VmHWM:");
    g_run_peak_gib = std::max(g_run_peak_gib, peak);
    std::string gpu;
    if (cuda) {
      const double gpu_peak = gpu_peak_gib(false);
      g_gpu_peak_gib = std::max(g_gpu_peak_gib, gpu_peak);
      char text[80];
      std::snprintf(text, sizeof(text), "GPU peak %.2f GiB (tensors %.2f); ", gpu_peak, gpu_peak_gib(false, true));
      gpu = text;
    }
    std::printf("| %-34s | %9.2f | %8.2f | %s%s\n", name.c_str(), seconds, peak, gpu.c_str(), note.c_str());
    std::fflush(stdout);
  }
};

std::vector<int> parse_sizes(const std::string& text) {
  std::vector<int> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) sizes.push_back(std::stoi(item));
  return sizes;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, sizes_text = "256,512,1024", dtype_name = "auto", device_name = "cpu", offload_name = "none";
  int prompts = 4, threads = 0, frame_steps = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--model") model = value;
    else if (key == "--sizes") sizes_text = value;
    else if (key == "--dtype") dtype_name = value;
    else if (key == "--device") device_name = value;
    else if (key == "--offload") offload_name = value;
    else if (key == "--prompts") prompts = std::stoi(value);
    else if (key == "--threads") threads = std::stoi(value);
    else if (key == "--frame-steps") frame_steps = std::stoi(value);
    else {
      std::cerr << "unknown option " << key << "\n";
      return 2;
    }
  }
  k3::set_torch_threads(threads);
  std::string scratch;
  if (model.empty()) {
    const char* fixtures = std::getenv("K3_FIXTURES");
    const std::string tokenizer = std::string(fixtures ? fixtures : "../shared/fixtures") + "/k3-tiny/tokenizer";
    scratch = (std::filesystem::temp_directory_path() / ("k3-full-size-" + std::to_string(::getpid()))).string();
    k3::test::write_full_size_kandinsky3(scratch, tokenizer);
    model = scratch;
  }
  const auto device = k3::parse_device(device_name);
  const auto dtype = k3::parse_dtype(dtype_name, device);
  const auto text_dtype = k3::text_encoder_dtype(device, dtype);
  const auto offload = k3::parse_offload(offload_name);
  const bool cuda = device.is_cuda();
  // libtorch 2.x sizes the caching allocator's per-device statistics at the first CUDA allocation:
  // reading or resetting them before that fails with "Invalid device argument".
  if (cuda) torch::empty({1}, torch::TensorOptions().device(device));
  const auto folder = k3::ModelFolder::open(model);
  std::printf("bench_pipeline_full: %s, %s, offload %s, %d threads, %s\n", device.str().c_str(), dtype_name.c_str(),
              offload_name.c_str(), k3::torch_threads(), scratch.empty() ? model.c_str() : "sparse full-size folder");
  std::printf("| %-34s | %9s | %8s | %s\n", "stage", "seconds", "peak GiB", "note");

  {
    Stage stage("text encoder (" + std::to_string(prompts) + " prompts, streamed)", cuda);
    auto encoder = k3::Kandinsky3Models::open_prompt_encoder(folder, device, text_dtype, true);
    std::vector<std::string> texts;
    for (int i = 0; i < prompts; ++i) texts.push_back("a lighthouse on a cliff at dawn, picture number " + std::to_string(i));
    encoder->precompute(texts);
    encoder->release_text_encoder();
    const double per = std::chrono::duration<double>(Clock::now() - stage.start).count() / prompts;
    char note[64];
    std::snprintf(note, sizeof(note), "%.2f s per prompt", per);
    stage.done(note);
  }
  k3::Kandinsky3Models models;
  {
    Stage stage("load unet + movq", cuda);
    k3::ModelLoadOptions options;
    options.device = device;
    options.dtype = dtype;
    options.offload = offload;
    models.load_image_models(folder, options);
    stage.done();
  }
  k3::Kandinsky3Img2ImgPipeline pipeline(models.unet, models.movq, models.scheduler);
  pipeline.set_offloader(models.offloader);
  torch::NoGradGuard no_grad;
  for (int size : parse_sizes(sizes_text)) {
    k3::PlanRequest request;
    request.device = device;
    request.image_dtype = dtype;
    request.text_dtype = text_dtype;
    request.offload = offload;
    request.width = request.height = size;
    const auto plan = k3::plan_memory(folder, request);
    const std::string estimate = "plan: image phase " + k3::format_bytes(plan.image_phase) + " (activations " +
                                 k3::format_bytes(plan.activations) + ")";
    auto pixels = torch::rand({1, 3, size, size}) * 2 - 1;
    torch::Tensor latents;
    {
      Stage stage("movq encode " + std::to_string(size) + " px", cuda);
      latents = pipeline.encode(pixels);
      stage.done();
    }
    {
      const int64_t hid = models.unet->config().encoder_hid_dim;
      auto context = torch::zeros({2, 32, hid}, torch::TensorOptions().dtype(dtype).device(device));
      auto mask = torch::ones({2, 32}, torch::TensorOptions().dtype(torch::kBool).device(device));
      auto input = torch::cat({latents, latents});
      if (models.offloader) models.offloader->before_unet();
      Stage stage("unet step (batch 2) " + std::to_string(size) + " px", cuda);
      models.unet->forward(input, torch::tensor(int64_t{500}), context, mask);
      stage.done(estimate);
    }
    {
      Stage stage("movq decode " + std::to_string(size) + " px", cuda);
      pipeline.decode(latents);
      stage.done();
    }
    if (frame_steps > 0) {
      const int64_t hid = models.unet->config().encoder_hid_dim;
      k3::GuidanceBatch conditioning;
      conditioning.embeds = torch::zeros({2, 32, hid}, torch::TensorOptions().dtype(dtype).device(device));
      conditioning.mask = torch::ones({2, 32}, torch::TensorOptions().dtype(torch::kBool).device(device));
      k3::DenoiseSettings settings;
      settings.steps = frame_steps;
      // On CUDA: eager, then replayed from CUDA graphs (the first of those records them), each
      // three times so that the warm figure stands beside the first.
      for (bool graphs : {false, true}) {
        if (!cuda && graphs) continue;
        k3::set_cuda_graphs(graphs);
        for (int run = 1; run <= (cuda ? 3 : 1); ++run) {
          k3::SeededNoise noise(7);
          Stage stage("2D frame " + std::to_string(size) + " px, 0.35 of " + std::to_string(frame_steps) +
                          (cuda ? (graphs ? ", graphs #" : ", eager #") + std::to_string(run) : ""),
                      cuda);
          pipeline.image_to_image(pixels, conditioning, 0.35, settings, noise);
          stage.done();
        }
      }
      k3::set_cuda_graphs(true);
    }
  }
  std::printf("whole run: peak resident %.2f GiB", g_run_peak_gib);
  if (cuda) std::printf(", GPU peak reserved %.2f GiB", g_gpu_peak_gib);
  std::printf("\n");
  if (!scratch.empty()) std::filesystem::remove_all(scratch);
  return 0;
}
