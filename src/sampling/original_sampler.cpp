// Follows ai-forever/Kandinsky-3 kandinsky3/model/diffusion.py (BaseDiffusion: p_sample_loop's
// time list, process_x_start's dynamic thresholding, p_sample's eta update) as spec 6.1 states it.
#include "src/sampling/original_sampler.h"

#include "base/errors.h"

#include <algorithm>

namespace k3 {

OriginalSampler::OriginalSampler(SchedulerConfig config, double eta, double percentile)
    : Sampler(std::move(config)), eta_(eta), percentile_(percentile) {
  if (!(eta >= 0.0)) throw ConfigError("original sampler eta: expected >= 0, got " + std::to_string(eta));
  if (!(percentile > 0.0 && percentile <= 1.0))
    throw ConfigError("original sampler percentile: expected a value in (0, 1], got " + std::to_string(percentile));
}

void OriginalSampler::set_timesteps(int num_inference_steps) {
  const int64_t train = config_.num_train_timesteps;
  if (num_inference_steps < 1 || num_inference_steps > train - 1)
    throw ConfigError("num_inference_steps: expected 1.." + std::to_string(train - 1) + " for the original sampler, got " +
                      std::to_string(num_inference_steps));
  const int64_t stride = train / num_inference_steps;
  std::vector<int64_t> steps;
  for (int64_t t = train - 1; t > 0; t -= stride) steps.push_back(t);
  timesteps_ = std::move(steps);
  // The list may hold one entry more than asked (7 steps: stride 142 -> 999, ..., 147, 5);
  // img2img fractions count what the list really holds.
  num_inference_steps_ = static_cast<int>(timesteps_.size());
}

int64_t OriginalSampler::previous_timestep(int64_t t) const { return next_listed_timestep(t); }

bool OriginalSampler::step_draws_noise(int64_t t) const { return eta_ > 0.0 && previous_timestep(t) != 0; }

torch::Tensor dynamic_threshold(const torch::Tensor& x0, double percentile) {
  const auto flat = x0.abs().reshape({x0.size(0), -1}).to(torch::kFloat);
  auto s = torch::quantile(flat, percentile, 1).clamp_min(1.0).to(x0.scalar_type());
  while (s.dim() < x0.dim()) s = s.unsqueeze(-1);
  return torch::max(torch::min(x0, s), -s) / s;
}

StepOutput OriginalSampler::step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                                 const torch::Tensor& noise) const {
  const int64_t prev = previous_timestep(t);
  const auto options = torch::TensorOptions().dtype(sample.scalar_type()).device(sample.device());
  // The original indexes its cumulative products at the previous time, prev = 0 included (not 1).
  const double ac = alphas_cumprod_[t].item<double>();
  const double ac_prev = alphas_cumprod_[prev].item<double>();
  auto x0 = (sample - std::sqrt(1.0 - ac) * model_output) / std::sqrt(ac);
  x0 = dynamic_threshold(x0, percentile_);
  const auto eps = (sample - std::sqrt(ac) * x0) / std::sqrt(1.0 - ac);
  // eta multiplies the variance itself (spec 6.1), not sigma as in DDIM.
  const double variance = eta_ * (1.0 - ac / ac_prev) * (1.0 - ac_prev) / (1.0 - ac);
  const double sigma = std::sqrt(std::max(variance, 0.0));
  auto prev_sample = std::sqrt(ac_prev) * x0 + std::sqrt(std::max(1.0 - ac_prev - sigma * sigma, 0.0)) * eps;
  if (prev != 0 && sigma > 0.0) {
    if (!noise.defined())
      throw ConfigError("original sampler: expected a noise tensor for step " + std::to_string(t) + ", got none");
    prev_sample = prev_sample + sigma * noise.to(options);
  }
  return {prev_sample, x0};
}

}  // namespace k3
