#pragma once
// Follows ai-forever/Kandinsky-3 kandinsky3/model/diffusion.py (BaseDiffusion with gan=True).
#include "src/sampling/sampler.h"

namespace k3 {

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

}  // namespace k3
