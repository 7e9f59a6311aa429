// Follows ai-forever/Kandinsky-3 kandinsky3/inpainting_pipeline.py (mask = 1 - user mask,
// masked_image = image.masked_fill((1 - mask).bool(), 0), masked latent through movq.encode, the
// UNet input cat([x, mask, masked_latent])) and diffusers
// pipeline_stable_diffusion_inpaint_legacy.py (re-noised known latents blended in after each step).
#include "src/pipeline/inpaint_pipeline.h"

#include "base/errors.h"
#include "src/sampling/sampler.h"

namespace k3 {

torch::Tensor dilate_repaint_mask(const torch::Tensor& repaint_mask, int passes) {
  if (passes < 0) throw ConfigError("mask dilation: expected passes >= 0, got " + std::to_string(passes));
  auto mask = (repaint_mask >= 0.5).to(torch::kFloat);
  const auto kernel = torch::ones({1, 1, 5, 5}, mask.options());
  for (int i = 0; i < passes; ++i) mask = (torch::conv2d(mask, kernel, {}, 1, 2) > 0).to(torch::kFloat);
  return mask.to(repaint_mask.scalar_type());
}

torch::Tensor latent_keep_mask(const torch::Tensor& repaint_mask, int64_t latent_h, int64_t latent_w, bool nearest) {
  namespace F = torch::nn::functional;
  const auto keep = (repaint_mask < 0.5).to(torch::kFloat);
  if (nearest)
    return F::interpolate(keep, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{latent_h, latent_w})
                                    .mode(torch::kNearest));
  // min-pool = -maxpool(-x), over each cell's pixels.
  return -F::adaptive_max_pool2d(-keep, F::AdaptiveMaxPool2dFuncOptions({latent_h, latent_w}));
}

torch::Tensor Kandinsky3InpaintPipeline::inpaint_latents(const torch::Tensor& image, const torch::Tensor& repaint_mask,
                                                         const GuidanceBatch& conditioning, double denoise,
                                                         const DenoiseSettings& settings, NoiseSource& noise,
                                                         const LatentStepCallback& on_step) {
  torch::NoGradGuard no_grad;
  const auto& unet_config = unet_->config();
  const int64_t latent_channels = unet_config.out_channels();
  if (unet_config.in_channels != latent_channels && !unet_config.is_inpainting())
    throw ConfigError("inpainting: expected a UNet with in_channels " + std::to_string(latent_channels) + " or " +
                      std::to_string(2 * latent_channels + 1) + ", got " + std::to_string(unet_config.in_channels));
  const int64_t batch = pictures_of(conditioning, settings);
  if (image.dim() != 4 || image.size(0) != batch || image.size(1) != movq_->config().in_channels)
    throw ConfigError("inpainting: expected an image batch [" + std::to_string(batch) + ", " +
                      std::to_string(movq_->config().in_channels) + ", H, W], got " + c10::str(image.sizes()));
  const int64_t multiple = size_multiple();
  if (image.size(2) % multiple != 0 || image.size(3) % multiple != 0)
    throw ConfigError("inpainting: expected width and height multiples of " + std::to_string(multiple) + ", got " +
                      std::to_string(image.size(3)) + "x" + std::to_string(image.size(2)));
  if (repaint_mask.dim() != 4 || repaint_mask.size(1) != 1 || repaint_mask.size(2) != image.size(2) ||
      repaint_mask.size(3) != image.size(3) || (repaint_mask.size(0) != 1 && repaint_mask.size(0) != batch))
    throw ConfigError("inpainting: expected a mask [1 or " + std::to_string(batch) + ", 1, " +
                      std::to_string(image.size(2)) + ", " + std::to_string(image.size(3)) + "], got " +
                      c10::str(repaint_mask.sizes()));

  auto sampler = sampler_for(settings, 0.95);
  sampler->set_timesteps(settings.steps);
  const auto timesteps = sampler->img2img_timesteps(denoise);
  const auto pixel_mask = repaint_mask.to(torch::kFloat).expand({batch, 1, image.size(2), image.size(3)});
  const auto image_latents = encode(image);
  const int64_t latent_h = image_latents.size(2), latent_w = image_latents.size(3);
  if (timesteps.empty()) return image_latents;

  const auto start_noise = draw(noise, {batch, latent_channels, latent_h, latent_w});
  torch::Tensor latents;
  if (timesteps.size() == static_cast<size_t>(sampler->num_inference_steps())) {
    latents = start_noise * sampler->init_noise_sigma();
  } else {
    auto start = torch::full({batch}, timesteps.front(), torch::TensorOptions().dtype(torch::kLong).device(device()));
    latents = sampler->add_noise(image_latents, start_noise, start);
  }

  StepHooks hooks;
  if (uses_inpainting_unet()) {
    const auto keep = latent_keep_mask(pixel_mask, latent_h, latent_w, true).to(device(), dtype());
    const auto masked_image = image.to(torch::kFloat) * (pixel_mask < 0.5).to(torch::kFloat);
    const auto masked_latents = encode(masked_image);
    const auto extra = torch::cat({keep, masked_latents}, 1);
    hooks.model_input = [extra](const torch::Tensor& x) {
      const int64_t copies = x.size(0) / extra.size(0);
      return torch::cat({x, copies > 1 ? extra.repeat({copies, 1, 1, 1}) : extra}, 1);
    };
  } else {
    const auto keep = latent_keep_mask(pixel_mask, latent_h, latent_w, false).to(device(), dtype());
    Sampler* s = sampler.get();
    hooks.after_step = [keep, image_latents, start_noise, &timesteps, s, this](const torch::Tensor& x, int index) {
      torch::Tensor known = image_latents;
      if (index + 1 < static_cast<int>(timesteps.size())) {
        auto next = torch::full({x.size(0)}, timesteps[index + 1], torch::TensorOptions().dtype(torch::kLong).device(device()));
        known = s->add_noise(image_latents, start_noise, next);
      }
      return keep * known + (1 - keep) * x;
    };
  }
  return this->denoise(latents, timesteps, *sampler, conditioning, settings, noise, on_step, hooks);
}

torch::Tensor Kandinsky3InpaintPipeline::inpaint(const torch::Tensor& image, const torch::Tensor& repaint_mask,
                                                 const GuidanceBatch& conditioning, double denoise,
                                                 const DenoiseSettings& settings, NoiseSource& noise,
                                                 const LatentStepCallback& on_step) {
  return decode(inpaint_latents(image, repaint_mask, conditioning, denoise, settings, noise, on_step));
}

}  // namespace k3
