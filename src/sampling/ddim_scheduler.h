#pragma once
// DDIMScheduler: deterministic for eta = 0, stochastic (DDPM-like) as eta -> 1.
// Follows diffusers schedulers/scheduling_ddim.py (step, _get_variance, set_alpha_to_one).
#include "src/sampling/sampler.h"

namespace k3 {

class DDIMScheduler : public Sampler {
 public:
  DDIMScheduler(SchedulerConfig config, double eta = 0.0);
  std::string name() const override { return "ddim"; }
  double eta() const { return eta_; }
  bool step_draws_noise(int64_t) const override { return eta_ > 0.0; }
  using Sampler::step;
  StepOutput step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                  const torch::Tensor& noise) const override;

 private:
  double eta_;
  torch::Tensor final_alpha_cumprod_;  // 1.0 if set_alpha_to_one else ac[0]
};

}  // namespace k3
