// Follows ai-forever/Kandinsky-3 kandinsky3/model/diffusion.py (p_sample_loop: the unconditional
// context is zeros with null_embedding at position 0 and mask 1 there, after the projection).
#include "src/sampling/denoiser.h"

#include "base/errors.h"

#include <algorithm>

namespace k3 {

torch::Tensor UNetDenoiser::predict_noise(const torch::Tensor& model_input, const torch::Tensor& timestep,
                                          const DenoiserContext& context) {
  const bool null_rows = context.null_rows.defined() && context.null_rows.any().item<bool>();
  if (!null_rows && !context.original_context)
    return unet_->forward(model_input, timestep, context.embeds, context.mask);
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
  return unet_->forward_projected(model_input, timestep, projected, mask);
}

}  // namespace k3
