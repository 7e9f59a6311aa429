#pragma once
// GraphedCall: a function of fixed-shape CUDA tensors recorded once as a CUDA graph and then
// replayed, so that a network of thousands of small kernels costs one launch instead of one
// dispatch per kernel (the full-size UNet forward is launch-bound on an H200: 45-50 ms at every
// size from 512 to 1024 px, arithmetic for ~5 ms). Anywhere else (CPU tensors, a libtorch
// built without CUDA) the call simply runs the function.
// Follows PyTorch torch/cuda/graphs.py (make_graphed_callables / graph: warm-up on a side stream,
// static inputs copied in, the static output read out).
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

namespace k3::nn {

// Whether this build of libtorch can record CUDA graphs.
bool cuda_graphs_supported();

class GraphedCall {
 public:
  using Function = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;
  explicit GraphedCall(Function function);
  ~GraphedCall();
  GraphedCall(const GraphedCall&) = delete;
  GraphedCall& operator=(const GraphedCall&) = delete;

  // function(inputs), replayed from the graph recorded for these inputs' shapes, dtypes and
  // strides when every input is a CUDA tensor; a new recording replaces the old one whenever
  // they change. The function must read nothing but its inputs and state that stays put (weights
  // that do not move: call forget() when they do) and must not synchronise with the host.
  torch::Tensor operator()(const std::vector<torch::Tensor>& inputs);

  // Drops the recording and its memory pool (weights moved, or memory is wanted elsewhere).
  void forget();
  // Graphs recorded so far (a test and the benchmark read it).
  int recordings() const { return recordings_; }

 private:
  struct Recording;
  Function function_;
  std::unique_ptr<Recording> recording_;
  int recordings_ = 0;
};

}  // namespace k3::nn
