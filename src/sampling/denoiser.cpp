// Follows ai-forever/Kandinsky-3 kandinsky3/model/diffusion.py (p_sample_loop: the unconditional
// context is zeros with null_embedding at position 0 and mask 1 there, after the projection).
#include "src/sampling/denoiser.h"

#include "base/errors.h"

#include <algorithm>

namespace k3 {

UNetDenoiser::UNetDenoiser(Kandinsky3UNet unet)
    : unet_(std::move(unet)), graphed_forward_([this](const std::vector<torch::Tensor>& in) {
        return unet_->forward_projected(in[0], in[1], in[2], in[3]);
      }) {}

void UNetDenoiser::use_cuda_graphs(bool enabled) {
  cuda_graphs_ = enabled;
  if (!enabled) graphed_forward_.forget();
}

torch::Tensor UNetDenoiser::forward_projected(const torch::Tensor& model_input, const torch::Tensor& timestep,
                                              const torch::Tensor& projected, const torch::Tensor& mask) {
  if (!cuda_graphs_ || !model_input.is_cuda() || unet_->block_hook)
    return unet_->forward_projected(model_input, timestep, projected, mask);
  const void* weights = unet_->conv_in->weight.data_ptr();
  if (weights != recorded_weights_) {
    graphed_forward_.forget();
    recorded_weights_ = weights;
  }
  // A 0-d timestep on the device: the graph reads it from its static copy at every replay.
  return graphed_forward_({model_input, timestep.to(model_input.device()), projected, mask.to(model_input.device())});
}

torch::Tensor UNetDenoiser::predict_noise(const torch::Tensor& model_input, const torch::Tensor& timestep,
                                          const DenoiserContext& context) {
  const bool null_rows = context.null_rows.defined() && context.null_rows.any().item<bool>();
  if (!null_rows && !context.original_context)
    return forward_projected(model_input, timestep, unet_->project_context(context.embeds), context.mask);
  auto embeds = context.embeds;
  auto mask = context.mask;
  torch::Tensor projected;
  if (context.original_context) {
    const int64_t length = std::min<int64_t>(mask.size(1), mask.to(torch::kLong).sum(1).max().item<int64_t>() + 1);
    embeds = embeds.slice(1, 0, length);
    mask = mask.slice(1, 0, length);
    projected = unet_->project_context(embeds) * mask.unsqueeze(-1).to(embeds.scalar_type());
  } else {
    projected = unet_->project_context(embeds);
  }
  if (null_rows) {
    if (!context.null_embedding.defined() || context.null_embedding.numel() != unet_->config().cross_attention_dim)
      throw ConfigError("null_embedding: expected " + std::to_string(unet_->config().cross_attention_dim) +
                        " values, got " +
                        (context.null_embedding.defined() ? std::to_string(context.null_embedding.numel()) : "none"));
    auto null_context = torch::zeros_like(projected[0]);
    null_context[0] = context.null_embedding.reshape({-1}).to(projected.device(), projected.scalar_type());
    auto null_mask = torch::zeros_like(mask[0]);
    null_mask[0] = 1;
    const auto rows = context.null_rows.to(projected.device(), torch::kBool);
    projected = torch::where(rows.view({-1, 1, 1}), null_context.unsqueeze(0), projected);
    mask = torch::where(rows.view({-1, 1}), null_mask.unsqueeze(0), mask);
  }
  return forward_projected(model_input, timestep, projected, mask);
}

}  // namespace k3
