#pragma once
// The common interface of the noise schedulers (DDPM, DDIM), so that a pipeline can pick one
// by name, plus the pieces they share: the beta schedule and the inference timesteps.
// Follows diffusers schedulers/scheduling_ddpm.py (betas, set_timesteps, add_noise) and
// pipelines/kandinsky3/pipeline_kandinsky3_img2img.py (get_timesteps).
#include "src/sampling/scheduler_config.h"

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace k3 {

struct StepOutput {
  torch::Tensor prev_sample;           // x_{t-1}
  torch::Tensor pred_original_sample;  // x_0 estimate (after clipping)
};

class Sampler {
 public:
  explicit Sampler(SchedulerConfig config);
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;
  // The original Kandinsky 3 sampler's conventions (spec 6.1): the guided batch as [cond, uncond]
  // and the text context cut and zeroed the original's way. The pipeline asks this, not the name.
  virtual bool original_conventions() const { return false; }

  const SchedulerConfig& config() const { return config_; }
  // float32 CPU tensors of num_train_timesteps values.
  const torch::Tensor& betas() const { return betas_; }
  const torch::Tensor& alphas_cumprod() const { return alphas_cumprod_; }

  // Spacing per config.timestep_spacing (+ steps_offset for "leading"). Throws ConfigError when
  // num_inference_steps is < 1 or > num_train_timesteps.
  // Virtual: the original sampler (src/sampling/original_sampler.h) has its own list.
  virtual void set_timesteps(int num_inference_steps);
  const std::vector<int64_t>& timesteps() const { return timesteps_; }
  int num_inference_steps() const { return num_inference_steps_; }
  double init_noise_sigma() const { return 1.0; }
  // The timestep preceding `t` in the inference schedule (negative after the last one).
  virtual int64_t previous_timestep(int64_t t) const;

  // img2img: the tail of timesteps() that a `denoise` fraction re-runs, exactly as
  // Kandinsky3Img2ImgPipeline.get_timesteps(num_inference_steps, strength=denoise).
  // Needs set_timesteps first; denoise in [0, 1] (ConfigError otherwise).
  std::vector<int64_t> img2img_timesteps(double denoise) const;

  // sqrt(ac[t]) * original + sqrt(1 - ac[t]) * noise, ac cast to the sample's dtype and device
  // first (as diffusers does); `timesteps` is an int64 tensor of one value per batch element or 0-d.
  torch::Tensor add_noise(const torch::Tensor& original, const torch::Tensor& noise, const torch::Tensor& timesteps) const;

  // Whether step(t) consumes a random draw (DDPM: t > 0; DDIM: eta > 0).
  virtual bool step_draws_noise(int64_t t) const = 0;
  // One denoising step with an explicitly given noise tensor (ignored, may be undefined, when
  // step_draws_noise(t) is false).
  virtual StepOutput step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                          const torch::Tensor& noise) const = 0;
  // The same, drawing the noise from `generator` when needed: torch.randn of the sample's shape
  // and dtype on the generator's device, then moved to the sample's device (diffusers' randn_tensor).
  StepOutput step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample, at::Generator& generator) const;

 protected:
  SchedulerConfig config_;
  torch::Tensor betas_, alphas_, alphas_cumprod_;  // float32 CPU
  std::vector<int64_t> timesteps_;
  int num_inference_steps_ = 0;
  // Samplers with a fixed list (original, flash): the entry after `t`, 0 after the last one;
  // ConfigError naming the sampler for a `t` not in the list.
  int64_t next_listed_timestep(int64_t t) const;
  // ac[t] as a 0-d float32 tensor (1.0 when t < 0 and `one_below_zero`, else ac[0] below zero).
  torch::Tensor alpha_cumprod_at(int64_t t, const torch::Tensor& below_zero) const;
};

// "ddpm", "ddim", "original" or "flash" (case-insensitive); ConfigError for other names. `eta` is DDIM's
// or the original sampler's; `percentile` only for "original" (its dynamic threshold).
std::unique_ptr<Sampler> make_sampler(const std::string& name, const SchedulerConfig& config, double eta = 0.0,
                                      double percentile = 0.99);

// Draws a standard normal tensor as diffusers' randn_tensor does with a generator: on the
// generator's device in `dtype`, then moved to `device`.
torch::Tensor randn_like_diffusers(at::IntArrayRef shape, at::Generator& generator, torch::ScalarType dtype,
                                   torch::Device device);

}  // namespace k3
