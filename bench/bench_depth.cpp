// Benchmark (not a test): seconds per frame of depth prediction (processor + network + bicubic
// resize to the frame) for the real architectures with zero weights from sparse safetensors
// folders (Depth-Anything-V2-Small-hf, Intel/dpt-large), at square frames of the given sizes.
// Usage: bench_depth [repetitions=3] [sizes=512,1024] [models=small,dpt-large] [device=cpu] [dtype=fp32]
// (K3_SPECS: the specs folder, default ../shared/specs beside the source). Prints the median,
// the minimum and the process CPU time per frame. Zero weights cost as much time as real ones.
#include "depth/depth_estimator.h"
#include "src/public/runtime.h"
#include "src/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <csignal>
#include <execinfo.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// The configs of specs/depth.md 2.1 / 3.1; tensors listed from the spec's key files.
void write_model(const fs::path& dir, const std::string& which, const std::string& spec_dir) {
  fs::create_directories(dir);
  std::string keys;
  if (which == "small") {
    write(dir / "config.json", R"({"model_type": "depth_anything", "backbone_config": {"model_type": "dinov2",
      "hidden_size": 384, "num_attention_heads": 6, "image_size": 518, "patch_size": 14, "out_indices": [3, 6, 9, 12],
      "reshape_hidden_states": false}, "fusion_hidden_size": 64, "head_hidden_size": 32, "neck_hidden_sizes": [48, 96, 192, 384],
      "patch_size": 14, "reassemble_factors": [4, 2, 1, 0.5], "reassemble_hidden_size": 384})");
    write(dir / "preprocessor_config.json", R"({"do_normalize": true, "do_rescale": true, "do_resize": true,
      "ensure_multiple_of": 14, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
      "keep_aspect_ratio": true, "resample": 3, "size": {"height": 518, "width": 518}})");
    keys = spec_dir + "/depth-anything-v2-small-hf.txt";
  } else {
    write(dir / "config.json", R"({"model_type": "dpt", "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
      "intermediate_size": 4096, "image_size": 384, "patch_size": 16, "layer_norm_eps": 1e-12, "backbone_out_indices": [5, 11, 17, 23],
      "readout_type": "project", "reassemble_factors": [4, 2, 1, 0.5], "neck_hidden_sizes": [256, 512, 1024, 1024],
      "fusion_hidden_size": 256})");
    write(dir / "preprocessor_config.json", R"({"do_normalize": true, "do_resize": true, "image_mean": [0.5, 0.5, 0.5],
      "image_std": [0.5, 0.5, 0.5], "keep_aspect_ratio": false, "ensure_multiple_of": 1, "resample": 2, "size": 384})");
    keys = spec_dir + "/dpt-large.txt";
  }
  std::ifstream in(keys);
  if (!in) throw std::runtime_error("cannot read " + keys);
  std::vector<k3::TensorToWrite> entries;
  for (std::string line; std::getline(in, line);) {
    const auto tab = line.find('\t');
    if (line.empty() || tab == std::string::npos) continue;
    std::vector<int64_t> shape;
    for (const auto& d : nlohmann::json::parse(line.substr(tab + 1))) shape.push_back(d.get<int64_t>());
    entries.push_back({line.substr(0, tab), k3::DType::F32, shape, nullptr});
  }
  k3::write_safetensors((dir / "model.safetensors").string(), entries, {{"format", "pt"}}, /*sparse=*/true);
}

}  // namespace

// A crash (seen once at exit on CUDA) prints where it happened.
static void print_backtrace(int signal_number) {
  void* frames[64];
  const int count = backtrace(frames, 64);
  backtrace_symbols_fd(frames, count, STDERR_FILENO);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

int main(int argc, char** argv) {
  std::signal(SIGSEGV, print_backtrace);
  const int repetitions = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const auto sizes = split(argc > 2 ? argv[2] : "512,1024");
  const auto models = split(argc > 3 ? argv[3] : "small,dpt-large");
  k3::depth::DepthEstimatorOptions options;
  if (argc > 4) options.device = argv[4];
  if (argc > 5) options.dtype = argv[5];
  k3::set_torch_threads(0);
  const char* specs = std::getenv("K3_SPECS");
  const std::string spec_dir = (specs ? std::string(specs) : std::string(K3_SOURCE_DIR) + "/../shared/specs") + "/depth-keys";
  const fs::path root = fs::temp_directory_path() / ("k3-bench-depth-" + std::to_string(::getpid()));
  std::printf("threads %d, %s %s; depth per frame (processor + network + resize), zero weights\n", k3::torch_threads(),
              options.device.c_str(), options.dtype.c_str());
  for (const auto& which : models) {
    const fs::path dir = root / which;
    write_model(dir, which, spec_dir);
    const auto estimator = k3::depth::DepthEstimator::load(dir.string(), options);
    for (const auto& size_text : sizes) {
      const int size = std::atoi(size_text.c_str());
      k3::ImageRGB8 picture{size, size, std::vector<std::uint8_t>(static_cast<std::size_t>(size) * size * 3)};
      for (std::size_t i = 0; i < picture.pixels.size(); ++i) picture.pixels[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 24);
      estimator.predict(picture);  // warm-up
      std::vector<double> seconds;
      const double cpu_start = cpu_seconds();
      for (int r = 0; r < repetitions; ++r) {
        const auto start = std::chrono::steady_clock::now();
        estimator.predict(picture);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
      const double cpu = (cpu_seconds() - cpu_start) / repetitions;
      std::sort(seconds.begin(), seconds.end());
      std::printf("%-10s %5d px: median %.3f s, min %.3f s, CPU %.3f s per frame (%lld parameters)\n", which.c_str(), size,
                  seconds[seconds.size() / 2], seconds.front(), cpu, static_cast<long long>(estimator.parameter_count()));
      std::fflush(stdout);
    }
  }
  fs::remove_all(root);
  std::printf("bench_depth: done\n");
  std::fflush(stdout);
  return 0;
}
