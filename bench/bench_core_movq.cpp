// Benchmark (not a test): the full-size MoVQ of Kandinsky 3 (spec config, random weights) encode
// and decode, where the time goes, block by block, and what the CUDA candidates change.
// For each size: one cold encode and decode (first use: cuDNN/cuBLAS set-up, kernel loading),
// then warm medians of the whole encode and decode and of each decoder stage (conv_in, mid block,
// each up block, output norm + conv), each stage timed alone with a device synchronisation around
// it. On CUDA the warm decode is repeated with cuDNN's algorithm search (cudnn.benchmark), with
// channels-last weights and activations, and replayed from a CUDA graph (src/nn/cuda_graph.h).
// Usage: bench_core_movq [--device cpu|cuda] [--dtype fp32|fp16|bf16] [--sizes 256,512,1024]
//                        [--repeats N] [--threads N]
#include "src/models/kandinsky3_models.h"
#include "src/models/movq.h"
#include "src/models/movq_blocks.h"
#include "src/nn/conv_dispatch.h"
#include "src/nn/cuda_graph.h"
#include "src/nn/nn_layers.h"
#include "src/public/runtime.h"

#include <ATen/Context.h>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Timer {
  bool cuda;
  void sync() const {
    if (cuda) torch::cuda::synchronize();
  }
  // Milliseconds of one call of `work`, synchronised on both ends.
  double once(const std::function<void()>& work) const {
    sync();
    const auto start = Clock::now();
    work();
    sync();
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  }
  double median(const std::function<void()>& work, int repeats) const {
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) ms.push_back(once(work));
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  }
};

std::vector<int> parse_sizes(const std::string& text) {
  std::vector<int> sizes;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) sizes.push_back(std::stoi(item));
  return sizes;
}

// The decoder stage by stage, each timed alone (the same calls as MoVQDecoderImpl::forward).
void time_decoder_stages(k3::VQModel& movq, const torch::Tensor& latents, const Timer& timer, int repeats) {
  auto& decoder = *movq->decoder;
  torch::Tensor z, x;
  const auto quant = latents;
  std::printf("    post_quant_conv + conv_in: %8.2f ms\n", timer.median([&] {
    z = k3::conv2d(*decoder.conv_in, k3::conv2d(*movq->post_quant_conv, quant));
  }, repeats));
  std::printf("    mid block:                 %8.2f ms\n", timer.median([&] { x = decoder.mid_block(z, quant); }, repeats));
  for (size_t i = 0; i < decoder.up_blocks->size(); ++i) {
    auto* block = decoder.up_blocks[i]->as<k3::movq::LevelBlockImpl>();
    const auto in = x;
    const double ms = timer.median([&] { x = block->forward(in, quant); }, repeats);
    std::printf("    up block %zu (%4ld ch %4ld^2 -> %4ld ch %4ld^2): %8.2f ms\n", i, static_cast<long>(in.size(1)),
                static_cast<long>(in.size(2)), static_cast<long>(x.size(1)), static_cast<long>(x.size(2)), ms);
  }
  std::printf("    norm_out + conv_out:       %8.2f ms\n", timer.median([&] {
    k3::conv2d(*decoder.conv_out, torch::silu(decoder.conv_norm_out(x, quant)));
  }, repeats));
}

// The top level's parts at `size` px, each alone: what one resnet of the last up block does
// (SpatialNorm over 512 channels, 3x3 convolutions 512->256 and 256->256, the 1x1 shortcut, SiLU),
// and the SpatialNorm as diffusers writes it (both 1x1 convolutions on the resized latent) beside
// ours (convolved at the latent's size, broadcast), with the largest difference between the two.
void time_top_level_parts(const k3::MoVQConfig& config, int size, torch::Device device, torch::ScalarType dtype,
                          const Timer& timer, int repeats) {
  const int64_t wide = config.block_out_channels[1], narrow = config.block_out_channels[0];
  const int64_t side = size / config.downscale_factor();
  auto options = torch::TensorOptions().device(device).dtype(dtype);
  auto zq = torch::randn({1, config.vq_embed_dim, side, side}).to(options);
  auto f = torch::randn({1, wide, size, size}).to(options);
  auto g = torch::randn({1, narrow, size, size}).to(options);
  k3::movq::SpatialNorm norm(wide, config.vq_embed_dim);
  k3::nn::Conv2d conv_wide(wide, narrow, 3, 1, 1), conv_narrow(narrow, narrow, 3, 1, 1), shortcut(wide, narrow, 1);
  for (torch::nn::Module* m : std::initializer_list<torch::nn::Module*>{norm.get(), conv_wide.get(), conv_narrow.get(),
                                                                        shortcut.get()}) {
    k3::nn::fill_random_(*m, 5);
    m->to(device, dtype);
  }
  torch::Tensor ours, theirs;
  auto diffusers_spatial_norm = [&] {
    auto z = at::upsample_nearest2d(zq, {size, size});
    theirs = norm->norm_layer(f) * k3::conv2d(*norm->conv_y, z) + k3::conv2d(*norm->conv_b, z);
  };
  std::printf("  top level parts at %d px (%lld/%lld channels):\n", size, static_cast<long long>(wide),
              static_cast<long long>(narrow));
  torch::Tensor native;
  std::printf("    group norm (%lld ch), libtorch:  %8.2f ms\n", static_cast<long long>(wide), timer.median([&] {
    native = torch::group_norm(f, 32, norm->norm_layer->weight, norm->norm_layer->bias, 1e-6);
  }, repeats));
  const double ours_ms = timer.median([&] { ours = norm->norm_layer(f); }, repeats);
  std::printf("    group norm (%lld ch), ours:      %8.2f ms (largest difference %.3g)\n", static_cast<long long>(wide),
              ours_ms, (ours.to(torch::kFloat) - native.to(torch::kFloat)).abs().max().item<double>());
  std::printf("    spatial norm, ours:            %8.2f ms\n", timer.median([&] { ours = norm(f, zq); }, repeats));
  const double diffusers_ms = timer.median(diffusers_spatial_norm, repeats);
  std::printf("    spatial norm, as diffusers:    %8.2f ms (largest difference %.3g)\n", diffusers_ms,
              (ours.to(torch::kFloat) - theirs.to(torch::kFloat)).abs().max().item<double>());
  std::printf("    conv 3x3 %lld->%lld:           %8.2f ms\n", static_cast<long long>(wide),
              static_cast<long long>(narrow), timer.median([&] { k3::conv2d(*conv_wide, f); }, repeats));
  std::printf("    conv 3x3 %lld->%lld:           %8.2f ms\n", static_cast<long long>(narrow),
              static_cast<long long>(narrow), timer.median([&] { k3::conv2d(*conv_narrow, g); }, repeats));
  std::printf("    conv 1x1 %lld->%lld:           %8.2f ms\n", static_cast<long long>(wide),
              static_cast<long long>(narrow), timer.median([&] { k3::conv2d(*shortcut, f); }, repeats));
  std::printf("    silu_ (%lld ch):                %8.2f ms\n", static_cast<long long>(narrow),
              timer.median([&] { torch::silu_(g); }, repeats));
}

}  // namespace

int main(int argc, char** argv) {
  std::string device_name = "cpu", dtype_name = "auto", sizes_text = "256";
  int repeats = 3, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--device") device_name = value;
    else if (key == "--dtype") dtype_name = value;
    else if (key == "--sizes") sizes_text = value;
    else if (key == "--repeats") repeats = std::stoi(value);
    else if (key == "--threads") threads = std::stoi(value);
    else {
      std::cerr << "usage: bench_core_movq [--device cpu|cuda] [--dtype fp32|fp16|bf16] [--sizes 256,512,1024] "
                   "[--repeats N] [--threads N]\n";
      return 2;
    }
  }
  k3::set_torch_threads(threads);
  const auto device = k3::parse_device(device_name);
  const auto dtype = k3::parse_dtype(dtype_name, device);
  const Timer timer{device.is_cuda()};
  torch::NoGradGuard no_grad;
  k3::VQModel movq(k3::MoVQConfig::kandinsky3(), false);
  k3::nn::fill_random_(*movq, 99);
  movq->eval();
  movq->to(device, dtype);
  std::printf("bench_core_movq: %s %s, %d threads, %lld parameters\n", device.str().c_str(),
              c10::toString(dtype), k3::torch_threads(), static_cast<long long>(k3::nn::parameter_count(*movq)));
  const auto factor = movq->config().downscale_factor();
  for (int size : parse_sizes(sizes_text)) {
    auto pixels = (torch::rand({1, 3, size, size}) * 2 - 1).to(device, dtype);
    torch::Tensor latents, image;
    const double cold_encode = timer.once([&] { latents = movq->encode(pixels); });
    const double cold_decode = timer.once([&] { image = movq->decode(latents); });
    std::printf("%d px (latent %lld): cold encode %.2f ms, cold decode %.2f ms\n", size,
                static_cast<long long>(size / factor), cold_encode, cold_decode);
    std::printf("  warm encode %.2f ms, warm decode %.2f ms (medians of %d)\n",
                timer.median([&] { latents = movq->encode(pixels); }, repeats),
                timer.median([&] { image = movq->decode(latents); }, repeats), repeats);
    time_decoder_stages(movq, latents, timer, repeats);
    time_top_level_parts(movq->config(), size, device, dtype, timer, repeats);
    if (!device.is_cuda()) continue;
    k3::nn::GraphedCall graphed_decode([&](const std::vector<torch::Tensor>& in) { return movq->decode(in[0]); });
    const double recording = timer.once([&] { graphed_decode({latents}); });
    std::printf("  decode replayed from a CUDA graph: %.2f ms (recording %.2f ms)\n",
                timer.median([&] { graphed_decode({latents}); }, repeats), recording);
    graphed_decode.forget();
    at::globalContext().setBenchmarkCuDNN(true);
    timer.once([&] { movq->decode(latents); });  // the search itself
    timer.once([&] { movq->encode(pixels); });
    std::printf("  cudnn.benchmark: warm encode %.2f ms, warm decode %.2f ms\n",
                timer.median([&] { movq->encode(pixels); }, repeats),
                timer.median([&] { movq->decode(latents); }, repeats));
    at::globalContext().setBenchmarkCuDNN(false);
  }
  if (device.is_cuda()) {
    // Channels-last last: it changes the weights' layout for the rest of the run.
    for (auto& parameter : movq->parameters())
      if (parameter.dim() == 4) parameter.set_data(parameter.contiguous(torch::MemoryFormat::ChannelsLast));
    for (int size : parse_sizes(sizes_text)) {
      auto latents = torch::randn({1, movq->config().vq_embed_dim, size / factor, size / factor})
                         .to(device, dtype)
                         .contiguous(torch::MemoryFormat::ChannelsLast);
      timer.once([&] { movq->decode(latents); });
      std::printf("%d px channels-last: warm decode %.2f ms\n", size,
                  timer.median([&] { movq->decode(latents); }, repeats));
    }
  }
  return 0;
}
