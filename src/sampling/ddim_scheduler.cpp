// Follows diffusers schedulers/scheduling_ddim.py (DDIMScheduler.step, _get_variance,
// final_alpha_cumprod from set_alpha_to_one); use_clipped_model_output=False as pipelines call it.
#include "src/sampling/ddim_scheduler.h"

#include "base/errors.h"

namespace k3 {

DDIMScheduler::DDIMScheduler(SchedulerConfig config, double eta) : Sampler(std::move(config)), eta_(eta) {
  if (!(eta >= 0.0 && eta <= 1.0)) throw ConfigError("ddim_eta: expected a value in [0, 1], got " + std::to_string(eta));
  final_alpha_cumprod_ = config_.set_alpha_to_one ? torch::tensor(1.0f) : alphas_cumprod_[0].clone();
}

StepOutput DDIMScheduler::step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                               const torch::Tensor& noise) const {
  const int64_t prev_t = previous_timestep(t);
  const torch::Tensor alpha_prod_t = alpha_cumprod_at(t, final_alpha_cumprod_);
  const torch::Tensor alpha_prod_t_prev = alpha_cumprod_at(prev_t, final_alpha_cumprod_);
  const torch::Tensor beta_prod_t = 1 - alpha_prod_t;

  torch::Tensor pred_original, pred_epsilon;
  if (config_.prediction_type == PredictionType::Epsilon) {
    pred_original = (sample - beta_prod_t.pow(0.5) * model_output) / alpha_prod_t.pow(0.5);
    pred_epsilon = model_output;
  } else if (config_.prediction_type == PredictionType::Sample) {
    pred_original = model_output;
    pred_epsilon = (sample - alpha_prod_t.pow(0.5) * pred_original) / beta_prod_t.pow(0.5);
  } else {
    pred_original = alpha_prod_t.pow(0.5) * sample - beta_prod_t.pow(0.5) * model_output;
    pred_epsilon = alpha_prod_t.pow(0.5) * model_output + beta_prod_t.pow(0.5) * sample;
  }
  if (config_.clip_sample) pred_original = pred_original.clamp(-config_.clip_sample_range, config_.clip_sample_range);

  const torch::Tensor beta_prod_t_prev = 1 - alpha_prod_t_prev;
  const torch::Tensor variance = (beta_prod_t_prev / beta_prod_t) * (1 - alpha_prod_t / alpha_prod_t_prev);
  const torch::Tensor std_dev_t = eta_ * variance.pow(0.5);
  const torch::Tensor direction = (1 - alpha_prod_t_prev - std_dev_t.pow(2)).pow(0.5) * pred_epsilon;
  torch::Tensor prev_sample = alpha_prod_t_prev.pow(0.5) * pred_original + direction;
  if (eta_ > 0.0) {
    if (!noise.defined() || noise.sizes() != model_output.sizes())
      throw ConfigError("DDIM step (eta > 0): expected a noise tensor of the sample's shape, got " +
                        (noise.defined() ? c10::str(noise.sizes()) : std::string("none")));
    prev_sample = prev_sample + std_dev_t * noise;
  }
  return {prev_sample, pred_original};
}

}  // namespace k3
