// Benchmark (not a test): the full-size Kandinsky 3 UNet (spec section 1.3 config, 3.06e9
// parameters, random weights) at 256 px (latent 32x32), batch 2 (one CFG pair), 77 context tokens.
// Reports the peak resident memory of building + filling it, then seconds per forward for:
//   fp32 with the library default (the convolution algorithm chosen per shape by measurement,
//   src/nn/conv_dispatch.h; the choice made for each shape is printed), fp32 with oneDNN for every
//   convolution (libtorch's own), alternating in the same run, and bf16 with the library default.
// Usage: bench_core_unet [--threads N] [--repeats R] [--remeasure] [--skip-onednn] [--skip-bf16] [--cuda]
//                        [--cuda-fp16-only] [--latent N]
// --cuda: fp32, fp16 and bf16 forwards, then fp16 eager vs replayed from a CUDA graph, per block,
// cudnn.benchmark and channels-last; --cuda-fp16-only: the fp16 parts only.
// --remeasure: measure every shape again, ignoring (and not writing) the per-machine choice file.
// Needs ~13 GB of RAM (fp32 weights); with --cuda it runs fp32 and fp16 on the GPU instead.
#include "src/nn/conv_dispatch.h"
#include "src/nn/nn_layers.h"
#include "src/public/runtime.h"
#include "src/models/unet.h"
#include "src/sampling/denoiser.h"

#include <torch/cuda.h>
#include <ATen/Context.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

namespace {

// Peak and current resident set size (VmHWM, VmRSS) in GiB, from /proc/self/status.
double proc_status_gib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(std::strlen(key))) / (1024.0 * 1024.0);
  return -1;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Inputs {
  torch::Tensor sample, timestep, context, mask;
};

Inputs make_inputs(const k3::UNetConfig& config, torch::ScalarType dtype, torch::Device device, int64_t latent) {
  torch::manual_seed(0);
  Inputs in;
  auto options = torch::TensorOptions().dtype(dtype).device(device);
  in.sample = torch::randn({2, config.in_channels, latent, latent}).to(options);
  in.timestep = torch::tensor(int64_t{961}).to(device);
  in.context = torch::randn({2, 77, config.encoder_hid_dim}).to(options);
  in.mask = torch::ones({2, 77}, torch::kBool).to(device);
  in.mask[0].fill_(false);  // the unconditional row, as in the pipeline
  return in;
}

// Seconds of the fastest of `repeats` forwards (after one warm-up forward unless `warm_up` is false).
double time_forward(k3::Kandinsky3UNet& unet, const Inputs& in, int repeats, torch::Tensor* output,
                    bool warm_up = true) {
  torch::NoGradGuard no_grad;
  auto sync = [&] {
    if (in.sample.is_cuda()) torch::cuda::synchronize();
  };
  if (warm_up) {
    auto warm = unet->forward(in.sample, in.timestep, in.context, in.mask);
    sync();
  }
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    *output = unet->forward(in.sample, in.timestep, in.context, in.mask);
    sync();
    best = std::min(best, seconds_since(start));
  }
  return best;
}

// Milliseconds per guided step through the pipeline's denoiser (text projection + UNet), eager
// and replayed from a CUDA graph, alternating; the median of `repeats` each. The first graphed
// call records the graph and is reported on its own.
void compare_cuda_graphs(k3::Kandinsky3UNet& unet, const Inputs& in, int repeats) {
  torch::NoGradGuard no_grad;
  k3::UNetDenoiser eager(unet), graphed(unet);
  eager.use_cuda_graphs(false);
  graphed.use_cuda_graphs(true);
  k3::DenoiserContext context;
  context.embeds = in.context;
  context.mask = in.mask;
  auto timed = [&](k3::UNetDenoiser& denoiser, torch::Tensor* out) {
    torch::cuda::synchronize();
    auto start = std::chrono::steady_clock::now();
    *out = denoiser.predict_noise(in.sample, in.timestep, context);
    torch::cuda::synchronize();
    return seconds_since(start) * 1000;
  };
  torch::Tensor eager_out, graphed_out;
  timed(eager, &eager_out);
  const double recording_ms = timed(graphed, &graphed_out);
  std::vector<double> eager_ms, graphed_ms;
  for (int r = 0; r < repeats; ++r) {
    eager_ms.push_back(timed(eager, &eager_out));
    graphed_ms.push_back(timed(graphed, &graphed_out));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double rel = (graphed_out.to(torch::kFloat) - eager_out.to(torch::kFloat)).norm().item<double>() /
                     eager_out.to(torch::kFloat).norm().item<double>();
  std::cout << "cuda " << c10::toString(in.sample.scalar_type()) << " guided step (batch 2, " << in.sample.size(2) * 8
            << " px), median of " << repeats << ": eager " << median(eager_ms) << " ms, CUDA graph "
            << median(graphed_ms) << " ms (= " << median(graphed_ms) / median(eager_ms)
            << " of eager; recording " << recording_ms << " ms; outputs differ by relative L2 " << rel << ")\n";
}

// Milliseconds of each down and up block in one eager forward (median of `repeats`), timed
// through the UNet's block hook with a device synchronisation on both sides of each block.
void time_cuda_blocks(k3::Kandinsky3UNet& unet, const Inputs& in, int repeats) {
  torch::NoGradGuard no_grad;
  std::map<std::string, std::vector<double>> block_ms;
  std::vector<std::string> order;
  std::chrono::steady_clock::time_point entered;
  int index = 0;
  unet->block_hook = [&](torch::nn::Module& block, bool entering) {
    torch::cuda::synchronize();
    if (entering) {
      entered = std::chrono::steady_clock::now();
      return;
    }
    const int levels = static_cast<int>(unet->down_blocks->size());
    const std::string name = (index < levels ? "down " + std::to_string(index) : "up " + std::to_string(index - levels)) +
                             " " + block.name();
    if (block_ms.find(name) == block_ms.end()) order.push_back(name);
    block_ms[name].push_back(seconds_since(entered) * 1000);
    ++index;
  };
  for (int r = 0; r < repeats; ++r) {
    index = 0;
    unet->forward(in.sample, in.timestep, in.context, in.mask);
  }
  unet->block_hook = nullptr;
  std::cout << "cuda " << c10::toString(in.sample.scalar_type()) << " per block at " << in.sample.size(2) * 8
            << " px (median of " << repeats << "):\n";
  for (const auto& name : order) {
    auto v = block_ms[name];
    std::sort(v.begin(), v.end());
    std::cout << "  " << name << ": " << v[v.size() / 2] << " ms\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 0, repeats = 1;
  std::vector<int64_t> latents = {32};  // latent sides: 32 = 256 px, 128 = 1024 px (CUDA: a comma list)
  bool skip_onednn = false, skip_bf16 = false, cuda = false, remeasure = false, fp16_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) threads = std::stoi(argv[++i]);
    else if (a == "--repeats" && i + 1 < argc) repeats = std::stoi(argv[++i]);
    else if (a == "--skip-onednn") skip_onednn = true;
    else if (a == "--remeasure") remeasure = true;
    else if (a == "--skip-bf16") skip_bf16 = true;
    else if (a == "--cuda") cuda = true;
    else if (a == "--cuda-fp16-only") cuda = fp16_only = true;
    else if (a == "--latent" && i + 1 < argc) {
      latents.clear();
      std::stringstream list(argv[++i]);
      for (std::string item; std::getline(list, item, ',');) latents.push_back(std::stoll(item));
    }
    else {
      std::cerr << "usage: bench_core_unet [--threads N] [--repeats R] [--remeasure] [--skip-onednn] [--skip-bf16] "
                   "[--cuda] [--cuda-fp16-only] [--latent N]\n";
      return 2;
    }
  }
  k3::set_torch_threads(threads);
  std::cout << "threads: " << k3::torch_threads() << "\n";
  const auto config = k3::UNetConfig::kandinsky3();

  auto start = std::chrono::steady_clock::now();
  k3::Kandinsky3UNet unet(config);
  const double build_s = seconds_since(start);
  std::cout << "build (uninitialised): " << build_s << " s, RSS " << proc_status_gib("VmRSS:") << " GiB, params "
            << k3::nn::parameter_count(*unet) << "\n";
  start = std::chrono::steady_clock::now();
  k3::nn::fill_random_(*unet, 1234);
  std::cout << "fill random fp32: " << seconds_since(start) << " s, peak RSS (VmHWM) " << proc_status_gib("VmHWM:")
            << " GiB\n";
  unet->eval();

  if (cuda) {
    torch::Device device(torch::kCUDA);
    unet->to(device);
    torch::Tensor out;
    std::cout << "device: " << (torch::cuda::is_available() ? "CUDA" : "none") << "\n";
    for (auto dtype : {torch::kFloat, torch::kHalf, torch::kBFloat16}) {
      if (fp16_only && dtype != torch::kHalf) continue;
      unet->to(dtype);
      for (int64_t latent : latents) {
        auto in = make_inputs(config, dtype, device, latent);
        const double s = time_forward(unet, in, std::max(repeats, 5), &out);
        std::cout << "cuda " << c10::toString(dtype) << ": " << s * 1000 << " ms per forward (batch 2, latent "
                  << latent << "x" << latent << ", " << latent * 8 << " px)\n";
      }
    }
    unet->to(torch::kHalf);
    for (int64_t latent : latents) compare_cuda_graphs(unet, make_inputs(config, torch::kHalf, device, latent),
                                                       std::max(repeats, 10));
    time_cuda_blocks(unet, make_inputs(config, torch::kHalf, device, latents.back()), 5);
    if (fp16_only) return 0;
    // Candidates for the CUDA defaults, side by side at the largest size: cuDNN's per-shape
    // algorithm search, then that with channels-last convolution weights and input.
    unet->to(torch::kHalf);
    auto in = make_inputs(config, torch::kHalf, device, latents.back());
    at::globalContext().setBenchmarkCuDNN(true);
    const double searched = time_forward(unet, in, std::max(repeats, 5), &out);
    torch::NoGradGuard no_grad;
    for (auto& parameter : unet->parameters())
      if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(torch::MemoryFormat::ChannelsLast));
    in.sample = in.sample.contiguous(torch::MemoryFormat::ChannelsLast);
    const double channels_last = time_forward(unet, in, std::max(repeats, 5), &out);
    std::cout << "cuda Half, latent " << latents.back() << ": cudnn.benchmark " << searched * 1000
              << " ms, + channels-last " << channels_last * 1000 << " ms per forward\n";
    return 0;
  }

  const int64_t latent = latents.front();
  auto in = make_inputs(config, torch::kFloat, torch::kCPU, latent);
  if (remeasure) k3::set_conv_choice_file("");
  std::cout << "convolution choice file: " << (k3::conv_choice_file().empty() ? "(none)" : k3::conv_choice_file())
            << "\n";
  // The first default forward makes (or reads) the per-shape choices; it is not timed.
  k3::set_conv_algorithm(k3::ConvAlgorithm::Auto);
  torch::Tensor with_default, with_onednn;
  {
    torch::NoGradGuard no_grad;
    start = std::chrono::steady_clock::now();
    with_default = unet->forward(in.sample, in.timestep, in.context, in.mask);
    std::cout << "first default forward (choosing per shape): " << seconds_since(start) << " s\n";
  }
  std::cout << "per-shape choices (" << k3::conv_choices().size() << " shapes; ms per call, oneDNN / matmul):\n";
  for (const auto& c : k3::conv_choices())
    std::cout << "  " << c.shape << ": " << c.algorithm << "  (" << c.onednn_ms << " / " << c.matmul_ms << " ms"
              << (c.from_file ? ", from the choice file" : ", measured now") << ")\n";
  // Alternate the two modes so that drifting load hits both alike; report the best of each.
  double default_s = 1e30, onednn_s = 1e30;
  for (int r = 0; r < repeats; ++r) {
    k3::set_conv_algorithm(k3::ConvAlgorithm::Auto);
    const double d = time_forward(unet, in, 1, &with_default, false);
    default_s = std::min(default_s, d);
    std::cout << "cpu fp32, default (per-shape choice): " << d << " s per forward\n";
    if (skip_onednn) continue;
    k3::set_conv_algorithm(k3::ConvAlgorithm::OneDNN);
    const double o = time_forward(unet, in, 1, &with_onednn, false);
    onednn_s = std::min(onednn_s, o);
    std::cout << "cpu fp32, oneDNN for every conv: " << o << " s per forward\n";
  }
  k3::set_conv_algorithm(k3::ConvAlgorithm::Auto);
  if (!skip_onednn) {
    const double rel = (with_default - with_onednn).norm().item<double>() / with_onednn.norm().item<double>();
    std::cout << "best of " << repeats << ": default " << default_s << " s, oneDNN-only " << onednn_s
              << " s: default / oneDNN-only = " << default_s / onednn_s << " (outputs differ by relative L2 " << rel
              << ")\n";
  }
  auto& with_dispatch = with_default;
  if (!skip_bf16) {
    torch::NoGradGuard no_grad;
    // Convert one parameter at a time so that fp32 and bf16 copies never coexist in full.
    for (auto& p : unet->parameters()) p.set_data(p.to(torch::kBFloat16));
    auto in16 = make_inputs(config, torch::kBFloat16, torch::kCPU, latent);
    torch::Tensor out16;
    const double bf16_s = time_forward(unet, in16, repeats, &out16);
    const double rel = (out16.to(torch::kFloat) - with_dispatch).norm().item<double>() / with_dispatch.norm().item<double>();
    std::cout << "cpu bf16, library default convs: " << bf16_s << " s per forward (vs fp32 relative L2 " << rel << ")\n";
  }
  std::cout << "peak RSS (VmHWM) at exit: " << proc_status_gib("VmHWM:") << " GiB\n";
  return 0;
}
