// Follows ai-forever/Kandinsky-3 kandinsky3/model/diffusion.py (BaseDiffusion's gan=True path:
// the fixed time list and q_sample re-noising) as spec 6.1 states it.
#include "src/sampling/flash_sampler.h"

#include "base/errors.h"

namespace k3 {

void FlashSampler::set_timesteps(int) {
  timesteps_.clear();
  for (int64_t t = 979; t > 0; t -= 250) timesteps_.push_back(t);
  num_inference_steps_ = static_cast<int>(timesteps_.size());
}

int64_t FlashSampler::previous_timestep(int64_t t) const { return next_listed_timestep(t); }

StepOutput FlashSampler::step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                              const torch::Tensor& noise) const {
  const double ac = alphas_cumprod_[t].item<double>();
  auto x0 = (sample - std::sqrt(1.0 - ac) * model_output) / std::sqrt(ac);
  const int64_t next = previous_timestep(t);
  if (next == 0) return {x0, x0};
  if (!noise.defined()) throw ConfigError("flash sampler: expected a noise tensor for step " + std::to_string(t) + ", got none");
  const double ac_next = alphas_cumprod_[next].item<double>();
  auto renoised = std::sqrt(ac_next) * x0 + std::sqrt(1.0 - ac_next) * noise.to(sample.options());
  return {renoised, x0};
}

}  // namespace k3
