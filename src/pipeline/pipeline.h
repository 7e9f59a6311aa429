#pragma once
// Kandinsky 3.0 text-to-image and image-to-image, as diffusers' Kandinsky3Pipeline and
// Kandinsky3Img2ImgPipeline compute them: classifier-free guidance over the batch
// [negative, positive] with eps = (g+1)*cond - g*uncond, a sampler chosen by name (DDPM as the
// checkpoint's scheduler_config, or DDIM), MoVQ decoding without latent scaling.
// Text encoding is not done here: pass a GuidanceBatch (src/pipeline/prompt_encoder.h).
// Follows diffusers pipelines/kandinsky3/pipeline_kandinsky3.py and pipeline_kandinsky3_img2img.py.
#include "src/sampling/denoiser.h"
#include "base/image.h"
#include "src/models/movq.h"
#include "src/sampling/noise_source.h"
#include "src/pipeline/prompt_encoder.h"
#include "src/sampling/scheduler_config.h"
#include "src/models/unet.h"

#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace k3 {

class Offloader;
class Sampler;

struct DenoiseSettings {
  int steps = 25;
  double guidance = 3.0;       // CFG only when > 1 (diffusers' do_classifier_free_guidance)
  std::string sampler = "ddpm";  // "ddpm", "ddim" or "original" (src/sampling/original_sampler.h)
  double ddim_eta = 0.0;
  double original_eta = 1.0;
  double original_percentile = 0.0;  // <= 0: 0.99, or 0.95 for inpainting (the original's)
  bool guided() const { return guidance > 1.0; }
};

// After each denoising step: (step index from 0, number of steps, latents after the step).
// Return false to cancel: the pipeline then throws k3::Cancelled.
using LatentStepCallback = std::function<bool(int step, int total_steps, const torch::Tensor& latents)>;

// The latents of a height x width picture: its model canvas (src/public/model_canvas.h, the one
// size policy) over the MoVQ's factor. For Kandinsky 3 (MoVQ x8, a 4-level UNet) that is diffusers'
// downscale_height_and_width(h, w, 8): ceil(h / 64) * 8 each side (e.g. 1000 -> 128, a 1024 picture).
std::pair<int64_t, int64_t> latent_size_for(int64_t height, int64_t width, int64_t movq_downscale = 8,
                                            int64_t unet_levels = 4);

class Kandinsky3Pipeline {
 public:
  // Runs on the UNet's device and dtype; MoVQ must sit on the same device.
  Kandinsky3Pipeline(Kandinsky3UNet unet, VQModel movq, SchedulerConfig scheduler);
  virtual ~Kandinsky3Pipeline() = default;

  // Text to image in latent space. `conditioning` holds 2B rows [negative, positive] when
  // settings.guided(), else B rows. `initial_latents` [B, C, h, w] replaces the first draw of
  // `noise` (diffusers' latents=). Returns the final latents in the model dtype.
  torch::Tensor text_to_latents(const GuidanceBatch& conditioning, int64_t height, int64_t width,
                                const DenoiseSettings& settings, NoiseSource& noise,
                                const torch::Tensor& initial_latents = {}, const LatentStepCallback& on_step = {});
  // text_to_latents then decode.
  torch::Tensor text_to_image(const GuidanceBatch& conditioning, int64_t height, int64_t width,
                              const DenoiseSettings& settings, NoiseSource& noise,
                              const torch::Tensor& initial_latents = {}, const LatentStepCallback& on_step = {});

  // MoVQ decode (force_not_quantize=true): raw output, about [-1, 1], float32 on the CPU.
  torch::Tensor decode(const torch::Tensor& latents);
  // MoVQ encode of [B, 3, H, W] pixels in [-1, 1]: latents on the UNet's device and dtype.
  torch::Tensor encode(const torch::Tensor& pixels);
  // Moves the heavy parts of UNet and MoVQ in and out around each stage (src/pipeline/offload.h); null = none.
  void set_offloader(std::shared_ptr<Offloader> offloader) { offloader_ = std::move(offloader); }

  Kandinsky3UNet& unet() { return unet_; }
  VQModel& movq() { return movq_; }
  const SchedulerConfig& scheduler_config() const { return scheduler_; }
  // The picture size multiple of this UNet and MoVQ (model_size_multiple: 64 for Kandinsky 3).
  int64_t size_multiple() const;
  // Replaces the UNet in the denoising loop (tests put an oracle here); null = the UNet again.
  void set_denoiser(std::shared_ptr<Denoiser> denoiser);
  // The original model's learned unconditional context vector [cross_attention_dim]; used by the
  // "original" sampler for unconditional rows without a prompt (mask all 0). Undefined = none.
  void set_null_embedding(torch::Tensor null_embedding) { null_embedding_ = std::move(null_embedding); }
  torch::Device device() const;
  torch::ScalarType dtype() const;

 protected:
  // Per-call additions to the loop (inpainting).
  struct StepHooks {
    // The denoiser's input from the latents (doubled under guidance); default: the latents.
    std::function<torch::Tensor(const torch::Tensor& latents)> model_input;
    // After step `index` (the latents then sit at the noise level of the next timestep).
    std::function<torch::Tensor(const torch::Tensor& latents, int index)> after_step;
  };
  // The shared loop: for each t, the denoiser on [x, x] (or x), guidance, sampler step. Under the
  // "original" sampler the guided batch is reordered to the original's [cond, uncond].
  torch::Tensor denoise(torch::Tensor latents, const std::vector<int64_t>& timesteps, Sampler& sampler,
                        const GuidanceBatch& conditioning, const DenoiseSettings& settings, NoiseSource& noise,
                        const LatentStepCallback& on_step, const StepHooks& hooks = {});
  torch::Tensor draw(NoiseSource& noise, at::IntArrayRef shape);
  // The number of pictures `conditioning` makes: its rows [negative, positive] halved under
  // guidance, else its rows; 1 for composable prompts (an unconditional row, when guided, and one
  // row per part). Throws k3::ConfigError when the rows do not fit that.
  static int64_t pictures_of(const GuidanceBatch& conditioning, const DenoiseSettings& settings);
  // make_sampler with the settings' eta/percentile; `default_percentile` when none is set.
  std::unique_ptr<Sampler> sampler_for(const DenoiseSettings& settings, double default_percentile = 0.99) const;

  Kandinsky3UNet unet_;
  std::shared_ptr<UNetDenoiser> unet_denoiser_;  // the real one, kept for CUDA graph control
  std::shared_ptr<Denoiser> denoiser_;
  torch::Tensor null_embedding_;
  VQModel movq_;
  SchedulerConfig scheduler_;
  std::shared_ptr<Offloader> offloader_;
};

class Kandinsky3Img2ImgPipeline : public Kandinsky3Pipeline {
 public:
  using Kandinsky3Pipeline::Kandinsky3Pipeline;

  // image [B, 3, H, W] in [-1, 1] (H, W multiples of size_multiple()). `denoise` (diffusers' strength) is the
  // fraction of the schedule re-run: set_timesteps(steps), then its last min(int(steps*denoise),
  // steps) timesteps. Draws: add_noise noise first, then one per step that needs one.
  // denoise so small that no step runs returns the encoded image's latents unchanged.
  torch::Tensor image_to_latents(const torch::Tensor& image, const GuidanceBatch& conditioning, double denoise,
                                 const DenoiseSettings& settings, NoiseSource& noise,
                                 const LatentStepCallback& on_step = {});
  torch::Tensor image_to_image(const torch::Tensor& image, const GuidanceBatch& conditioning, double denoise,
                               const DenoiseSettings& settings, NoiseSource& noise,
                               const LatentStepCallback& on_step = {});
};

// 8-bit RGB pictures -> [B, 3, H, W] float32 in [-1, 1] (x / 127.5 - 1, as diffusers 0.27's
// prepare_image). All pictures must share one size.
torch::Tensor images_to_tensor(const std::vector<ImageRGB8>& images);
// Decoder output -> [B, H, W, 3] float32 in [0, 1]: clamp(x * 0.5 + 0.5, 0, 1) (output_type 'np').
torch::Tensor to_unit_range(const torch::Tensor& decoded);
// Decoder output -> 8-bit pictures: round(unit * 255) (output_type 'pil').
std::vector<ImageRGB8> tensor_to_images(const torch::Tensor& decoded);

}  // namespace k3
