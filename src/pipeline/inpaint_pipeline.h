#pragma once
// Inpainting with Kandinsky 3: repaint where the mask says so, keep the rest.
// - A 9-channel (inpainting) UNet, as the original implementation runs it: the UNet input is
//   [latent (4), keep-mask (1, 1 = keep, nearest-resized to latent size), masked-image latent (4)]
//   for both guidance halves, the masked image being the image in [-1, 1] zeroed where repainting.
// - A 4-channel (base) UNet: after every step, the kept region's latents, re-noised to the next
//   timestep's level with the starting noise, are blended back in (diffusers' legacy inpainting),
//   and the final step takes them as they are. Chosen from the UNet config's channels.
// Follows ai-forever/Kandinsky-3 kandinsky3/inpainting_pipeline.py (prepare_mask/masked image/
// masked latent) and diffusers pipelines/stable_diffusion/pipeline_stable_diffusion_inpaint_legacy.py
// (the per-step blend with init_latents_proper).
#include "src/pipeline/pipeline.h"

namespace k3 {

class Kandinsky3InpaintPipeline : public Kandinsky3Img2ImgPipeline {
 public:
  using Kandinsky3Img2ImgPipeline::Kandinsky3Img2ImgPipeline;

  // image [B, 3, H, W] in [-1, 1] (H, W multiples of size_multiple()); repaint_mask [B or 1, 1, H,
  // W], values >= 0.5 = repaint (the user's convention: white = repaint). `denoise` 1 starts from pure noise
  // (the original); below 1 it starts from the encoded image noised to the first timestep of the
  // tail it re-runs (as img2img). Draws: the starting noise, then one per step that needs one.
  // Default percentile of the "original" sampler here: 0.95 (the original's inpainting value).
  torch::Tensor inpaint_latents(const torch::Tensor& image, const torch::Tensor& repaint_mask,
                                const GuidanceBatch& conditioning, double denoise, const DenoiseSettings& settings,
                                NoiseSource& noise, const LatentStepCallback& on_step = {});
  torch::Tensor inpaint(const torch::Tensor& image, const torch::Tensor& repaint_mask,
                        const GuidanceBatch& conditioning, double denoise, const DenoiseSettings& settings,
                        NoiseSource& noise, const LatentStepCallback& on_step = {});

  // Whether the UNet takes the 9-channel inpainting input (else the 4-channel blend is used).
  bool uses_inpainting_unet() const { return unet_->config().is_inpainting(); }
};

// The original notebook's prepare_mask: `passes` times a 5x5 all-ones convolution, then > 0, so
// each pass grows the repaint region by 2 pixels. mask [B, 1, H, W], 1 = repaint.
torch::Tensor dilate_repaint_mask(const torch::Tensor& repaint_mask, int passes);

// The keep mask at latent size, 1 = keep. `nearest` as the original (F.interpolate's default);
// otherwise a latent cell is kept only if every pixel it covers is kept (min-pooling), so that
// the 4-channel blend never locks a pixel that was meant to be repainted.
torch::Tensor latent_keep_mask(const torch::Tensor& repaint_mask, int64_t latent_h, int64_t latent_w, bool nearest);

}  // namespace k3
