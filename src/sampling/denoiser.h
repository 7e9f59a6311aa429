#pragma once
// The UNet's role in a sampling loop (noise prediction from the model input, the timestep and the
// text context) behind an interface, so that a test can put an oracle in its place while the real
// sampler and MoVQ run. UNetDenoiser is the real one.
// Follows diffusers pipelines/kandinsky3/pipeline_kandinsky3.py (the unet call in __call__) and,
// for the null embedding, ai-forever/Kandinsky-3 kandinsky3/model/diffusion.py (p_sample_loop).
#include "src/models/unet.h"
#include "src/nn/cuda_graph.h"

#include <torch/torch.h>

namespace k3 {

struct DenoiserContext {
  torch::Tensor embeds;  // [N, L, encoder_hid_dim], text-encoder space (the UNet projects it)
  torch::Tensor mask;    // [N, L] bool, 1 = attend
  // Optional (the original sampler with a model that has a learned null embedding): rows set in
  // `null_rows` (bool [N]) get the projected context [null_embedding, 0, ...] with mask [1, 0, ...].
  torch::Tensor null_rows;
  torch::Tensor null_embedding;  // [cross_attention_dim]
  // The original's text context (spec 6.1): cut to (longest prompt + 1) tokens, projected, then
  // the padded rows zeroed; diffusers zeroes before the projection (padded rows become the
  // LayerNorm bias), which only the pooling mean sees. Set by the "original" sampler.
  bool original_context = false;
};

class Denoiser {
 public:
  virtual ~Denoiser() = default;
  // model_input [N, in_channels, h, w] (inpainting: [latent, mask, masked latent] channels);
  // timestep int64 0-d. Returns the noise prediction [N, out_channels, h, w].
  virtual torch::Tensor predict_noise(const torch::Tensor& model_input, const torch::Tensor& timestep,
                                      const DenoiserContext& context) = 0;
};

class UNetDenoiser final : public Denoiser {
 public:
  explicit UNetDenoiser(Kandinsky3UNet unet);
  torch::Tensor predict_noise(const torch::Tensor& model_input, const torch::Tensor& timestep,
                              const DenoiserContext& context) override;

  // On CUDA, replay the UNet forward from a CUDA graph recorded at the first step of each input
  // shape (src/nn/cuda_graph.h): the same kernels on the same inputs, without their launch cost.
  // The pipeline turns it off while offloading moves the weights (and for sequential offload,
  // whose block hooks copy weights on the host). Off = the plain forward, released memory.
  void use_cuda_graphs(bool enabled);
  // Graphs recorded so far (tests, benchmark).
  int graph_recordings() const { return graphed_forward_.recordings(); }

 private:
  torch::Tensor forward_projected(const torch::Tensor& model_input, const torch::Tensor& timestep,
                                  const torch::Tensor& projected, const torch::Tensor& mask);

  Kandinsky3UNet unet_;
  bool cuda_graphs_ = false;
  // Where the weights were when the graph was recorded: a graph replays fixed addresses.
  const void* recorded_weights_ = nullptr;
  nn::GraphedCall graphed_forward_;
};

}  // namespace k3
