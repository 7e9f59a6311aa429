// Follows PyTorch torch/cuda/graphs.py (graph.capture_begin/capture_end on a side stream after
// warm-up runs, replay on the current stream) and aten/src/ATen/cuda/CUDAGraph.h.
#include "src/nn/cuda_graph.h"

#if __has_include(<cuda_runtime_api.h>) && __has_include(<ATen/cuda/CUDAGraph.h>) && \
    __has_include(<c10/cuda/CUDAGuard.h>)
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#define K3_HAVE_CUDA_GRAPHS 1
#endif

#include <sstream>

namespace k3::nn {

#ifdef K3_HAVE_CUDA_GRAPHS

namespace {
// What a recording is valid for: every input's device, dtype, sizes and strides.
std::string signature_of(const std::vector<torch::Tensor>& inputs) {
  std::ostringstream key;
  for (const auto& x : inputs) key << x.device() << x.scalar_type() << x.sizes() << x.strides() << ';';
  return key.str();
}

bool all_cuda(const std::vector<torch::Tensor>& inputs) {
  if (inputs.empty()) return false;
  for (const auto& x : inputs)
    if (!x.defined() || !x.is_cuda()) return false;
  return true;
}
}  // namespace

bool cuda_graphs_supported() { return true; }

struct GraphedCall::Recording {
  // First member, so destroyed last: the static tensors return their blocks to the graph's
  // private memory pool before the graph releases that pool.
  at::cuda::CUDAGraph graph;
  std::string signature;
  std::vector<torch::Tensor> static_inputs;
  torch::Tensor static_output;
};

torch::Tensor GraphedCall::operator()(const std::vector<torch::Tensor>& inputs) {
  if (!all_cuda(inputs)) return function_(inputs);
  const auto signature = signature_of(inputs);
  if (!recording_ || recording_->signature != signature) {
    forget();
    auto recording = std::make_unique<Recording>();
    recording->signature = signature;
    for (const auto& x : inputs) recording->static_inputs.push_back(x.clone());
    torch::cuda::synchronize();
    // Capture must happen off the default stream. The warm-up runs first there too: cuDNN and
    // cuBLAS create their handles and workspaces and pick their algorithms, and lazily loaded
    // kernels are loaded, none of which may happen inside a capture.
    auto side = c10::cuda::getStreamFromPool(false, inputs.front().device().index());
    {
      c10::cuda::CUDAStreamGuard on_side(side);
      for (int warm = 0; warm < 2; ++warm) function_(recording->static_inputs);
      side.synchronize();
      recording->graph.capture_begin();
      try {
        recording->static_output = function_(recording->static_inputs);
      } catch (...) {
        // Close the capture so that the stream is usable again, then report the first error.
        try {
          recording->graph.capture_end();
        } catch (...) {
        }
        throw;
      }
      recording->graph.capture_end();
    }
    torch::cuda::synchronize();
    recording_ = std::move(recording);
    ++recordings_;
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) recording_->static_inputs[i].copy_(inputs[i]);
  recording_->graph.replay();
  // The next replay overwrites the static output.
  return recording_->static_output.clone();
}

#else

bool cuda_graphs_supported() { return false; }

struct GraphedCall::Recording {};

torch::Tensor GraphedCall::operator()(const std::vector<torch::Tensor>& inputs) { return function_(inputs); }

#endif

GraphedCall::GraphedCall(Function function) : function_(std::move(function)) {}
GraphedCall::~GraphedCall() = default;

void GraphedCall::forget() { recording_.reset(); }

}  // namespace k3::nn
