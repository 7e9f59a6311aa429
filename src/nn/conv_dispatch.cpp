// Per-shape convolution algorithm (see conv_dispatch.h). The matmul path follows the textbook
// unfold + GEMM formulation (torch.nn.functional.unfold semantics).
#include "src/nn/conv_dispatch.h"

#include "src/nn/conv_choice_cache.h"
#include "base/errors.h"

#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace k3 {

namespace {

// The unfolded input of a k x k convolution is k*k times the input; past this size the
// matmul path is not tried (large maps are oneDNN's ground anyway, and memory matters more).
constexpr int64_t kMaxColumnBytes = int64_t{256} << 20;
// Timed runs per algorithm at most; fewer when the first already shows a clear winner.
constexpr int kMaxTimedRuns = 3;
constexpr double kClearWinner = 0.5;

// Weight as [O, I*k*k] and the input's columns as [I*k*k, B*L]: one matrix product for the whole
// batch, so the weight (the bulk of the bytes at small maps) is streamed once, not once per image.
torch::Tensor conv_matmul(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                          int64_t stride, int64_t padding) {
  const auto batch = x.size(0), out_channels = weight.size(0), kernel = weight.size(2);
  const auto out_h = (x.size(2) + 2 * padding - kernel) / stride + 1;
  const auto out_w = (x.size(3) + 2 * padding - kernel) / stride + 1;
  const auto positions = out_h * out_w;
  torch::Tensor columns;  // [B, I*k*k, L]
  if (kernel == 1 && stride == 1 && padding == 0)
    columns = x.reshape({batch, x.size(1), positions});
  else
    columns = torch::im2col(x, {kernel, kernel}, {1, 1}, {padding, padding}, {stride, stride});
  auto flat = batch == 1 ? columns[0] : columns.transpose(0, 1).reshape({columns.size(1), batch * positions});
  auto w = weight.reshape({out_channels, -1});
  // addmm with beta = 1 on a broadcast bias (never baddbmm with beta = 0: ENVIRONMENT.md trap 4).
  auto out = bias.defined() ? torch::addmm(bias.unsqueeze(1), w, flat) : torch::mm(w, flat);  // [O, B*L]
  if (batch == 1) return out.view({1, out_channels, out_h, out_w});
  return out.view({out_channels, batch, out_h, out_w}).transpose(0, 1).contiguous();
}

torch::Tensor conv_onednn(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  return torch::conv2d(x, conv.weight, conv.bias, {conv.stride, conv.stride}, {conv.padding, conv.padding});
}

bool matmul_applies(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  if (!x.device().is_cpu() || x.dim() != 4 || x.scalar_type() != torch::kFloat) return false;
  if (conv.weight.scalar_type() != torch::kFloat) return false;
  const auto kernel = conv.weight.size(2);
  if (kernel == 1 && conv.stride == 1 && conv.padding == 0) return true;
  const auto out_h = (x.size(2) + 2 * conv.padding - kernel) / conv.stride + 1;
  const auto out_w = (x.size(3) + 2 * conv.padding - kernel) / conv.stride + 1;
  return x.size(0) * x.size(1) * kernel * kernel * out_h * out_w * 4 <= kMaxColumnBytes;
}

std::string shape_key(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  const auto& w = conv.weight;
  return "f32 b" + std::to_string(x.size(0)) + " " + std::to_string(w.size(1)) + ">" + std::to_string(w.size(0)) +
         " k" + std::to_string(w.size(2)) + " s" + std::to_string(conv.stride) + " p" + std::to_string(conv.padding) +
         " @" + std::to_string(x.size(2)) + "x" + std::to_string(x.size(3)) + " t" +
         std::to_string(torch::get_num_threads());
}

template <typename F>
double time_ms(F&& run) {
  const auto start = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string library_version() {
  return "libtorch " + std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

struct DispatchState {
  std::mutex mutex;
  std::optional<ConvAlgorithm> mode;
  std::optional<std::string> file;  // unset: from the environment on first use
  std::unique_ptr<ConvChoiceCache> cache;
  std::map<std::string, size_t> used;  // shape -> index in `reports`
  std::vector<ConvChoiceReport> reports;

  ConvAlgorithm current_mode() {
    if (!mode) {
      const char* env = std::getenv("K3_CONV_ALGO");
      mode = env && *env ? parse_conv_algorithm(env, "K3_CONV_ALGO") : ConvAlgorithm::Auto;
    }
    return *mode;
  }
  ConvChoiceCache& choice_cache() {
    if (!cache) {
      if (!file) {
        const char* env = std::getenv("K3_CONV_CACHE");
        file = env && *env ? (std::string(env) == "off" ? std::string() : std::string(env))
                           : ConvChoiceCache::default_path();
      }
      cache = std::make_unique<ConvChoiceCache>(*file, ConvChoiceCache::describe_machine(library_version()));
    }
    return *cache;
  }
};

DispatchState& state() {
  static DispatchState s;
  return s;
}

// Times both algorithms on this input (a warm-up run each first: oneDNN builds its primitive on
// the first call) and returns the decision and the oneDNN output of the warm-up run.
ConvTiming measure(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x, torch::Tensor* output) {
  const auto& w = conv.weight;
  *output = conv_onednn(conv, x);
  conv_matmul(x, w, conv.bias, conv.stride, conv.padding);
  std::vector<double> onednn, matmul;
  for (int run = 0; run < kMaxTimedRuns; ++run) {
    onednn.push_back(time_ms([&] { conv_onednn(conv, x); }));
    matmul.push_back(time_ms([&] { conv_matmul(x, w, conv.bias, conv.stride, conv.padding); }));
    const double a = median(onednn), b = median(matmul);
    if (std::min(a, b) < kClearWinner * std::max(a, b)) break;
  }
  ConvTiming t;
  t.onednn_ms = median(onednn);
  t.matmul_ms = median(matmul);
  t.algorithm = t.matmul_ms < t.onednn_ms ? "matmul" : "onednn";
  return t;
}

}  // namespace

ConvAlgorithm parse_conv_algorithm(const std::string& name, const std::string& where) {
  if (name == "auto") return ConvAlgorithm::Auto;
  if (name == "onednn") return ConvAlgorithm::OneDNN;
  if (name == "matmul") return ConvAlgorithm::Matmul;
  throw ConfigError(where + ": expected one of auto, onednn, matmul, got \"" + name + "\"");
}

std::string to_string(ConvAlgorithm algorithm) {
  switch (algorithm) {
    case ConvAlgorithm::Auto: return "auto";
    case ConvAlgorithm::OneDNN: return "onednn";
    case ConvAlgorithm::Matmul: return "matmul";
  }
  return "auto";
}

void set_conv_algorithm(ConvAlgorithm algorithm) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().mode = algorithm;
}

ConvAlgorithm conv_algorithm() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().current_mode();
}

void set_conv_choice_file(const std::string& path) {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.file = path;
  s.cache.reset();
  s.used.clear();
  s.reports.clear();
}

std::string conv_choice_file() {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.choice_cache().path();
}

std::vector<ConvChoiceReport> conv_choices() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().reports;
}

namespace {
// The auto-mode decision for this input's shape: remembered, read from the choice file, or
// measured now (then `measured` holds the oneDNN output of the measuring run).
bool matmul_is_faster(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x, torch::Tensor* measured) {
  auto& s = state();
  const std::string key = shape_key(conv, x);
  std::lock_guard<std::mutex> lock(s.mutex);  // held while measuring: one measurement per shape
  auto used = s.used.find(key);
  if (used == s.used.end()) {
    ConvChoiceReport report;
    report.shape = key;
    const ConvTiming* known = s.choice_cache().find(key);
    ConvTiming timing;
    if (known) {
      timing = *known;
      report.from_file = true;
    } else {
      timing = measure(conv, x, measured);
      s.choice_cache().store(key, timing);  // a file that cannot be written only costs a re-measure
    }
    report.algorithm = timing.algorithm;
    report.onednn_ms = timing.onednn_ms;
    report.matmul_ms = timing.matmul_ms;
    used = s.used.emplace(key, s.reports.size()).first;
    s.reports.push_back(report);
  }
  return s.reports[used->second].algorithm == "matmul";
}
}  // namespace

torch::Tensor conv2d(const k3::nn::Conv2dImpl& conv, const torch::Tensor& x) {
  const ConvAlgorithm mode = conv_algorithm();
  if (mode == ConvAlgorithm::OneDNN || !matmul_applies(conv, x)) return conv_onednn(conv, x);
  torch::Tensor measured;
  if (mode == ConvAlgorithm::Matmul || matmul_is_faster(conv, x, &measured))
    return conv_matmul(x, conv.weight, conv.bias, conv.stride, conv.padding);
  return measured.defined() ? measured : conv_onednn(conv, x);
}

torch::Tensor conv_transpose2d(const k3::nn::ConvTranspose2dImpl& conv, const torch::Tensor& x) {
  const std::vector<int64_t> stride = {conv.stride, conv.stride};
  if (x.device().is_cpu() && x.scalar_type() == torch::kBFloat16) {
    auto bias = conv.bias.defined() ? conv.bias.to(torch::kFloat) : torch::Tensor();
    return torch::conv_transpose2d(x.to(torch::kFloat), conv.weight.to(torch::kFloat), bias, stride)
        .to(torch::kBFloat16);
  }
  return torch::conv_transpose2d(x, conv.weight, conv.bias, stride);
}

}  // namespace k3
