// Follows diffusers schedulers/scheduling_ddpm.py (DDPMScheduler.step and _get_variance): every
// coefficient is a 0-d float32 tensor computed in the same order, so results match bit for bit.
#include "src/sampling/ddpm_scheduler.h"

#include "base/errors.h"

namespace k3 {

namespace {
torch::Tensor predict_original(PredictionType prediction_type, const torch::Tensor& model_output,
                               const torch::Tensor& sample, const torch::Tensor& alpha_prod_t,
                               const torch::Tensor& beta_prod_t) {
  if (prediction_type == PredictionType::Epsilon) return (sample - beta_prod_t.pow(0.5) * model_output) / alpha_prod_t.pow(0.5);
  if (prediction_type == PredictionType::Sample) return model_output;
  return alpha_prod_t.pow(0.5) * sample - beta_prod_t.pow(0.5) * model_output;  // v_prediction
}
}  // namespace

DDPMScheduler::DDPMScheduler(SchedulerConfig config) : Sampler(std::move(config)) {}

StepOutput DDPMScheduler::step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample,
                               const torch::Tensor& noise) const {
  const torch::Tensor one = torch::tensor(1.0f);
  const int64_t prev_t = previous_timestep(t);
  const torch::Tensor alpha_prod_t = alpha_cumprod_at(t, one);
  const torch::Tensor alpha_prod_t_prev = alpha_cumprod_at(prev_t, one);
  const torch::Tensor beta_prod_t = 1 - alpha_prod_t;
  const torch::Tensor beta_prod_t_prev = 1 - alpha_prod_t_prev;
  const torch::Tensor current_alpha_t = alpha_prod_t / alpha_prod_t_prev;
  const torch::Tensor current_beta_t = 1 - current_alpha_t;

  torch::Tensor pred_original = predict_original(config_.prediction_type, model_output, sample, alpha_prod_t, beta_prod_t);
  if (config_.clip_sample) pred_original = pred_original.clamp(-config_.clip_sample_range, config_.clip_sample_range);

  const torch::Tensor original_coeff = (alpha_prod_t_prev.pow(0.5) * current_beta_t) / beta_prod_t;
  const torch::Tensor sample_coeff = current_alpha_t.pow(0.5) * beta_prod_t_prev / beta_prod_t;
  torch::Tensor prev_sample = original_coeff * pred_original + sample_coeff * sample;

  if (t > 0) {
    if (!noise.defined() || noise.sizes() != model_output.sizes())
      throw ConfigError("DDPM step at t=" + std::to_string(t) + ": expected a noise tensor of the sample's shape, got " +
                        (noise.defined() ? c10::str(noise.sizes()) : std::string("none")));
    torch::Tensor variance = ((1 - alpha_prod_t_prev) / (1 - alpha_prod_t) * current_beta_t).clamp_min(1e-20);
    torch::Tensor scaled_noise;
    if (config_.variance_type == VarianceType::FixedSmallLog) scaled_noise = torch::exp(0.5 * torch::log(variance)) * noise;
    else if (config_.variance_type == VarianceType::FixedLarge) scaled_noise = current_beta_t.pow(0.5) * noise;
    else scaled_noise = variance.pow(0.5) * noise;  // fixed_small
    prev_sample = prev_sample + scaled_noise;
  }
  return {prev_sample, pred_original};
}

}  // namespace k3
