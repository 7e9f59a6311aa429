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
  bool original_conventions() const override { return true; }
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

// The original's dynamic thresholding: s = quantile(|x0| per sample, percentile), s = max(s, 1),
// x0 = clip(x0, -s, s) / s.
torch::Tensor dynamic_threshold(const torch::Tensor& x0, double percentile);

}  // namespace k3
