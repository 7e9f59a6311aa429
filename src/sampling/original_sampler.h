#pragma once
// The sampler of the original Kandinsky 3 implementation (ai-forever/Kandinsky-3, BaseDiffusion):
// timesteps range(999, 0, -1000 // steps) with a final 0, x0 from eps, dynamic percentile
// thresholding of x0, then a DDIM-style update with eta (spec section 6.1).
// Follows ai-forever/Kandinsky-3 kandinsky3/model/diffusion.py (BaseDiffusion.p_sample).
#include "src/sampling/sampler.h"

namespace k3 {

class OriginalSampler : public Sampler {
 public:
  // `eta` 1.0 and `percentile` 0.99 (text-to-image) or 0.95 (inpainting) are the original's.
  OriginalSampler(SchedulerConfig config, double eta = 1.0, double percentile = 0.99);
  std::string name() const override { return "original"; }
  double eta() const { return eta_; }
  double percentile() const { return percentile_; }

  // range(T - 1, 0, -(T // steps)): steps=50, T=1000 gives 999, 979, ..., 19.
  void set_timesteps(int num_inference_steps) override;
  // The next entry of the list; 0 after the last one.
  int64_t previous_timestep(int64_t t) const override;
  // Noise is added when eta > 0 and the previous timestep is not 0.
  bool step_draws_noise(int64_t t) const override;
  using Sampler::step;
  StepOutput step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                  const torch::Tensor& noise) const override;

 private:
  double eta_;
  double percentile_;
};

// Kandinsky 3.1 Flash (the original's gan=True path, spec 6.1): fixed times 979, 729, 479, 229;
// at each one the model predicts eps (without guidance: run it with guidance <= 1), the estimate
// becomes the predicted x0, and the next step starts from that estimate re-noised to its time with
// fresh noise (q_sample). The first step starts from the initial noise as it is (the original
// re-noises that noise too, which changes the start by a sqrt(alpha_cumprod[979]) ~ 0.02 share).
class FlashSampler : public Sampler {
 public:
  explicit FlashSampler(SchedulerConfig config) : Sampler(std::move(config)) {}
  std::string name() const override { return "flash"; }
  // The list is fixed; `num_inference_steps` is ignored (the model was distilled for 4 steps).
  void set_timesteps(int num_inference_steps) override;
  int64_t previous_timestep(int64_t t) const override;
  bool step_draws_noise(int64_t t) const override { return previous_timestep(t) > 0; }
  using Sampler::step;
  StepOutput step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                  const torch::Tensor& noise) const override;
};

// The original's dynamic thresholding: s = quantile(|x0| per sample, percentile), s = max(s, 1),
// x0 = clip(x0, -s, s) / s.
torch::Tensor dynamic_threshold(const torch::Tensor& x0, double percentile);

}  // namespace k3
