// Follows diffusers schedulers/scheduling_ddpm.py (betas_for_alpha_bar, set_timesteps, add_noise,
// previous_timestep) and pipelines/kandinsky3/pipeline_kandinsky3_img2img.py (get_timesteps).
#include "src/sampling/sampler.h"
#include "base/text.h"

#include "src/sampling/ddim_scheduler.h"
#include "src/sampling/ddpm_scheduler.h"
#include "base/errors.h"
#include "src/sampling/flash_sampler.h"
#include "src/sampling/original_sampler.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace k3 {

namespace {

// Betas in Python double precision, then stored as float32 (torch.tensor(list, dtype=float32)).
torch::Tensor cosine_betas(int64_t count) {
  constexpr double kMaxBeta = 0.999;
  const double pi = std::acos(-1.0);
  auto alpha_bar = [pi](double t) {
    const double c = std::cos((t + 0.008) / 1.008 * pi / 2);
    return c * c;
  };
  std::vector<float> betas(static_cast<std::size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const double t1 = static_cast<double>(i) / static_cast<double>(count);
    const double t2 = static_cast<double>(i + 1) / static_cast<double>(count);
    betas[static_cast<std::size_t>(i)] = static_cast<float>(std::min(1 - alpha_bar(t2) / alpha_bar(t1), kMaxBeta));
  }
  return torch::tensor(betas, torch::kFloat32);
}

torch::Tensor make_betas(const SchedulerConfig& config) {
  const int64_t n = config.num_train_timesteps;
  if (!config.trained_betas.empty()) return torch::tensor(config.trained_betas, torch::kFloat64).to(torch::kFloat32);
  switch (config.beta_schedule) {
    case BetaSchedule::Linear: return torch::linspace(config.beta_start, config.beta_end, n, torch::kFloat32);
    case BetaSchedule::ScaledLinear:
      return torch::linspace(std::sqrt(config.beta_start), std::sqrt(config.beta_end), n, torch::kFloat32).pow(2);
    case BetaSchedule::SquaredcosCapV2: return cosine_betas(n);
  }
  return cosine_betas(n);  // unreachable: every schedule is a case
}

}  // namespace

Sampler::Sampler(SchedulerConfig config) : config_(std::move(config)) {
  betas_ = make_betas(config_);
  alphas_ = 1.0 - betas_;
  alphas_cumprod_ = torch::cumprod(alphas_, 0);
}

void Sampler::set_timesteps(int num_inference_steps) {
  const int64_t train = config_.num_train_timesteps;
  if (num_inference_steps < 1 || num_inference_steps > train)
    throw ConfigError("num_inference_steps: expected 1.." + std::to_string(train) + ", got " +
                      std::to_string(num_inference_steps));
  const int64_t n = num_inference_steps;
  std::vector<int64_t> steps;
  if (config_.timestep_spacing == TimestepSpacing::Leading) {
    const int64_t ratio = train / n;
    for (int64_t k = n - 1; k >= 0; --k) steps.push_back(k * ratio + config_.steps_offset);
  } else if (config_.timestep_spacing == TimestepSpacing::Trailing) {
    // np.round(np.arange(train, 0, -train / n)) - 1, numpy rounding half to even.
    const double ratio = static_cast<double>(train) / static_cast<double>(n);
    const auto count = static_cast<int64_t>(std::ceil(static_cast<double>(train) / ratio));
    for (int64_t k = 0; k < count; ++k)
      steps.push_back(static_cast<int64_t>(std::nearbyint(static_cast<double>(train) + static_cast<double>(k) * -ratio)) - 1);
  } else {
    // np.linspace(0, train - 1, n).round()[::-1]
    const double stop = static_cast<double>(train - 1);
    const double delta = n > 1 ? stop / static_cast<double>(n - 1) : 0.0;
    for (int64_t k = n - 1; k >= 0; --k)
      steps.push_back(static_cast<int64_t>(std::nearbyint(k == n - 1 && n > 1 ? stop : static_cast<double>(k) * delta)));
  }
  timesteps_ = std::move(steps);
  num_inference_steps_ = num_inference_steps;
}

int64_t Sampler::previous_timestep(int64_t t) const {
  const int64_t n = num_inference_steps_ > 0 ? num_inference_steps_ : config_.num_train_timesteps;
  return t - config_.num_train_timesteps / n;
}

std::vector<int64_t> Sampler::img2img_timesteps(double denoise) const {
  if (num_inference_steps_ <= 0) throw ConfigError("img2img timesteps: expected set_timesteps() first, got none");
  if (!(denoise >= 0.0 && denoise <= 1.0))
    throw ConfigError("denoise: expected a value in [0, 1], got " + std::to_string(denoise));
  const int n = num_inference_steps_;
  const int init = std::min(static_cast<int>(n * denoise), n);
  const int start = std::max(n - init, 0);
  return std::vector<int64_t>(timesteps_.begin() + start, timesteps_.end());
}

torch::Tensor Sampler::alpha_cumprod_at(int64_t t, const torch::Tensor& below_zero) const {
  if (t < 0) return below_zero;
  if (t >= config_.num_train_timesteps)
    throw ConfigError("timestep: expected 0.." + std::to_string(config_.num_train_timesteps - 1) + ", got " + std::to_string(t));
  return alphas_cumprod_[t];
}

torch::Tensor Sampler::add_noise(const torch::Tensor& original, const torch::Tensor& noise, const torch::Tensor& timesteps) const {
  const auto ac = alphas_cumprod_.to(original.device(), original.scalar_type());
  const auto index = timesteps.to(original.device(), torch::kLong);
  if (index.numel() > 0 && (index.min().item<int64_t>() < 0 || index.max().item<int64_t>() >= config_.num_train_timesteps))
    throw ConfigError("add_noise: expected timesteps in 0.." + std::to_string(config_.num_train_timesteps - 1));
  auto sqrt_alpha = ac.index({index}).pow(0.5).flatten();
  auto sqrt_one_minus = (1 - ac.index({index})).pow(0.5).flatten();
  while (sqrt_alpha.dim() < original.dim()) sqrt_alpha = sqrt_alpha.unsqueeze(-1);
  while (sqrt_one_minus.dim() < original.dim()) sqrt_one_minus = sqrt_one_minus.unsqueeze(-1);
  return sqrt_alpha * original + sqrt_one_minus * noise;
}

StepOutput Sampler::step(const torch::Tensor& model_output, int64_t t, const torch::Tensor& sample, at::Generator& generator) const {
  torch::Tensor noise;
  if (step_draws_noise(t))
    noise = randn_like_diffusers(model_output.sizes(), generator, model_output.scalar_type(), model_output.device());
  return step(model_output, t, sample, noise);
}

torch::Tensor randn_like_diffusers(at::IntArrayRef shape, at::Generator& generator, torch::ScalarType dtype,
                                   torch::Device device) {
  auto drawn = torch::randn(shape, generator, torch::TensorOptions().dtype(dtype).device(generator.device()));
  return drawn.device() == device ? drawn : drawn.to(device);
}

int64_t Sampler::next_listed_timestep(int64_t t) const {
  auto it = std::find(timesteps_.begin(), timesteps_.end(), t);
  if (it == timesteps_.end()) throw ConfigError(name() + " sampler: expected a timestep of its list, got " + std::to_string(t));
  ++it;
  return it == timesteps_.end() ? 0 : *it;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SchedulerConfig& config, double eta,
                                      double percentile) {
  const std::string lowered = lower(name);
  if (lowered == "ddpm") return std::make_unique<DDPMScheduler>(config);
  if (lowered == "ddim") return std::make_unique<DDIMScheduler>(config, eta);
  if (lowered == "original") return std::make_unique<OriginalSampler>(config, eta, percentile);
  if (lowered == "flash") return std::make_unique<FlashSampler>(config);
  throw ConfigError("sampler: expected 'ddpm', 'ddim', 'original' or 'flash', got '" + name + "'");
}

}  // namespace k3
