#pragma once
// DDPMScheduler: ancestral sampling with fixed variance, as diffusers' default for Kandinsky 3.
// Follows diffusers schedulers/scheduling_ddpm.py (step, _get_variance).
#include "src/sampling/sampler.h"

namespace k3 {

class DDPMScheduler : public Sampler {
 public:
  explicit DDPMScheduler(SchedulerConfig config);
  std::string name() const override { return "ddpm"; }
  bool step_draws_noise(int64_t t) const override { return t > 0; }
  using Sampler::step;
  StepOutput step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                  const torch::Tensor& noise) const override;
};

}  // namespace k3
