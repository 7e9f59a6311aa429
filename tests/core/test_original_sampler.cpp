// The original Kandinsky 3 sampler (spec 6.1): its timestep list, dynamic thresholding, eta update,
// the [cond, uncond] order with the learned null embedding, and a run through the pipeline.
#include "src/sampling/denoiser.h"
#include "base/errors.h"
#include "src/models/movq_config.h"
#include "src/sampling/original_sampler.h"
#include "src/pipeline/pipeline.h"
#include "src/sampling/scheduler_config.h"
#include "src/models/unet_config.h"
#include "tests/core/core_golden_support.h"
#include "tests/support/fixture_set.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

namespace {

k3::SchedulerConfig cosine_config() {
  k3::SchedulerConfig config;
  config.beta_schedule = k3::BetaSchedule::SquaredcosCapV2;
  config.num_train_timesteps = 1000;
  return config;
}

std::string tiny() { return k3::test::fixtures_root() + "/k3-tiny"; }

// A noisy latent batch the tiny UNet takes: [rows, latent channels, side, side].
torch::Tensor random_latents(int64_t rows) {
  const auto g = k3::test::fixture::model_geometry();
  return torch::randn({rows, g.latent_channels, g.latent_side(), g.latent_side()});
}

}  // namespace

TEST_CASE("original sampler: range(999, 0, -1000 // steps) then 0", "[unit]") {
  k3::OriginalSampler sampler(cosine_config());
  sampler.set_timesteps(50);
  const auto& t = sampler.timesteps();
  REQUIRE(t.size() == 50);
  CHECK(t.front() == 999);
  CHECK(t[1] == 979);
  CHECK(t.back() == 19);
  CHECK(sampler.previous_timestep(979) == 959);
  CHECK(sampler.previous_timestep(19) == 0);
  CHECK(sampler.step_draws_noise(39));
  CHECK_FALSE(sampler.step_draws_noise(19));  // the last step adds no noise
  sampler.set_timesteps(7);                   // stride 142: 999, 857, ..., 147, 5
  CHECK(sampler.timesteps().size() == 8);
  CHECK(sampler.timesteps().back() == 5);
  CHECK(sampler.img2img_timesteps(0.5).size() == 4);
  CHECK_THROWS_AS(sampler.previous_timestep(500), k3::ConfigError);
  k3::OriginalSampler no_eta(cosine_config(), 0.0);
  no_eta.set_timesteps(10);
  CHECK_FALSE(no_eta.step_draws_noise(999));
}

TEST_CASE("original sampler: dynamic thresholding and one step by hand", "[unit]") {
  // Thresholding: s = max(quantile(|x0|, p), 1); x0 = clip(x0, -s, s) / s, per sample.
  auto x0 = torch::stack({torch::linspace(-4, 4, 101), torch::linspace(-0.5, 0.5, 101)}).view({2, 1, 101, 1});
  auto out = k3::dynamic_threshold(x0, 0.9);
  const double s0 = torch::quantile(torch::linspace(-4, 4, 101).abs(), 0.9).item<double>();
  CHECK(out[0].max().item<double>() == Approx(1.0));
  CHECK(out[0].flatten()[50].item<double>() == Approx(0.0).margin(1e-7));
  CHECK(out[0].flatten()[60].item<double>() == Approx(x0[0].flatten()[60].item<double>() / s0));
  CHECK(torch::equal(out[1], x0[1]));  // s = 1 (all |x0| < 1): untouched

  k3::OriginalSampler sampler(cosine_config(), 1.0, 0.95);
  sampler.set_timesteps(50);
  torch::manual_seed(3);
  const auto x = torch::randn({1, 4, 8, 8}), eps = torch::randn({1, 4, 8, 8}), z = torch::randn({1, 4, 8, 8});
  const int64_t t = 979, prev = 959;
  const double ac = sampler.alphas_cumprod()[t].item<double>(), ac_prev = sampler.alphas_cumprod()[prev].item<double>();
  auto want_x0 = (x - std::sqrt(1 - ac) * eps) / std::sqrt(ac);
  want_x0 = k3::dynamic_threshold(want_x0, 0.95);
  const auto want_eps = (x - std::sqrt(ac) * want_x0) / std::sqrt(1 - ac);
  const double sigma = std::sqrt(1.0 * (1 - ac / ac_prev) * (1 - ac_prev) / (1 - ac));
  const auto want = std::sqrt(ac_prev) * want_x0 + std::sqrt(1 - ac_prev - sigma * sigma) * want_eps + sigma * z;
  const auto got = sampler.step(eps, t, x, z);
  const double error = (got.prev_sample - want).abs().max().item<double>();
  INFO("step max error " << error);
  CHECK(error < 1e-5);
  CHECK(torch::allclose(got.pred_original_sample, want_x0));
  // The last step uses alpha_cumprod[0] (not 1) and no noise.
  sampler.set_timesteps(50);
  const auto last = sampler.step(eps, 19, x, {});
  const double ac0 = sampler.alphas_cumprod()[0].item<double>(), ac19 = sampler.alphas_cumprod()[19].item<double>();
  const auto x0_last = k3::dynamic_threshold((x - std::sqrt(1 - ac19) * eps) / std::sqrt(ac19), 0.95);
  const double sigma_last = std::sqrt((1 - ac19 / ac0) * (1 - ac0) / (1 - ac19));
  const auto want_last = std::sqrt(ac0) * x0_last +
                         std::sqrt(1 - ac0 - sigma_last * sigma_last) * (x - std::sqrt(ac19) * x0_last) / std::sqrt(1 - ac19);
  CHECK((last.prev_sample - want_last).abs().max().item<double>() < 1e-5);
  CHECK(k3::make_sampler("Original", cosine_config())->name() == "original");
}

TEST_CASE("the null embedding replaces the projected context of unconditional rows", "[unit]") {
  K3_REQUIRE_FIXTURES();
  k3::Kandinsky3UNet unet(k3::UNetConfig::from_file(tiny() + "/unet/config.json"));
  k3::test::core::load_component(*unet, tiny(), "unet");
  unet->eval();
  torch::NoGradGuard no_grad;
  const auto geometry = k3::test::fixture::model_geometry();
  torch::manual_seed(2);
  const auto sample = random_latents(2);
  const auto t = torch::tensor(500, torch::kLong);
  k3::DenoiserContext context;
  context.embeds = torch::randn({2, 5, geometry.text_width});
  context.mask = torch::ones({2, 5}, torch::kBool);
  context.mask[1].fill_(false);
  context.null_rows = torch::tensor({false, true});
  context.null_embedding = torch::randn({geometry.context_width});
  k3::UNetDenoiser denoiser(unet);
  const auto got = denoiser.predict_noise(sample, t, context);
  // By hand: row 1's projected context = [null_embedding, 0, 0, 0, 0], mask [1, 0, 0, 0, 0].
  auto projected = unet->project_context(context.embeds);
  projected[1].zero_();
  projected[1][0] = context.null_embedding;
  auto mask = context.mask.clone();
  mask[1][0] = true;
  const auto want = unet->forward_projected(sample, t, projected, mask);
  CHECK((got - want).abs().max().item<double>() < 1e-6);
  // Row 0 is the plain forward; without null rows the denoiser is the plain UNet.
  const auto plain = unet->forward(sample, t, context.embeds, context.mask);
  CHECK((got[0] - plain[0]).abs().max().item<double>() < 1e-6);
  CHECK((got[1] - plain[1]).abs().max().item<double>() > 1e-4);
  k3::DenoiserContext no_null = context;
  no_null.null_rows = torch::Tensor();
  CHECK(torch::equal(denoiser.predict_noise(sample, t, no_null), plain));
}

TEST_CASE("the pipeline runs the original sampler with [cond, uncond] and the null embedding", "[unit]") {
  K3_REQUIRE_FIXTURES();
  k3::Kandinsky3UNet unet(k3::UNetConfig::from_file(tiny() + "/unet/config.json"));
  k3::test::core::load_component(*unet, tiny(), "unet");
  unet->eval();
  k3::VQModel movq(k3::MoVQConfig::from_file(tiny() + "/movq/config.json"), true);  // its scale factor only
  k3::Kandinsky3Pipeline pipeline(unet, movq, k3::SchedulerConfig::from_file(tiny() + "/scheduler/scheduler_config.json"));
  struct Recorder : k3::Denoiser {
    k3::UNetDenoiser inner;
    std::vector<k3::DenoiserContext> contexts;
    explicit Recorder(k3::Kandinsky3UNet u) : inner(std::move(u)) {}
    torch::Tensor predict_noise(const torch::Tensor& input, const torch::Tensor& t, const k3::DenoiserContext& c) override {
      contexts.push_back(c);
      return inner.predict_noise(input, t, c);
    }
  };
  const auto geometry = k3::test::fixture::model_geometry();
  const auto c0 = k3::test::fixture::first_text_to_image_case();  // its picture size and step count
  auto recorder = std::make_shared<Recorder>(unet);
  pipeline.set_denoiser(recorder);
  pipeline.set_null_embedding(torch::randn({geometry.context_width}));
  const int64_t width = geometry.text_width;
  k3::GuidanceBatch batch;  // diffusers' order: [negative (none: zeros, mask 0), positive]
  batch.embeds = torch::cat({torch::zeros({1, 5, width}), torch::randn({1, 5, width})});
  batch.mask = torch::cat({torch::zeros({1, 5}, torch::kBool), torch::ones({1, 5}, torch::kBool)});
  k3::DenoiseSettings settings;
  settings.sampler = "original";
  settings.steps = c0.steps;
  k3::SeededNoise noise(c0.seed);
  const auto latents = pipeline.text_to_latents(batch, c0.height, c0.width, settings, noise);
  const auto [latent_h, latent_w] = k3::latent_size_for(c0.height, c0.width, geometry.downscale);
  CHECK(latents.sizes() == at::IntArrayRef({1, geometry.latent_channels, latent_h, latent_w}));
  CHECK(torch::isfinite(latents).all().item<bool>());
  // The original's list: range(999, 0, -1000 // steps) then 0 (checked by hand in the first test).
  k3::OriginalSampler expected(k3::SchedulerConfig::from_file(tiny() + "/scheduler/scheduler_config.json"));
  expected.set_timesteps(c0.steps);
  REQUIRE(recorder->contexts.size() == expected.timesteps().size());
  const auto& c = recorder->contexts.front();
  CHECK(torch::equal(c.embeds[0], batch.embeds[1]));  // cond first
  CHECK(c.mask[0].all().item<bool>());
  REQUIRE(c.null_rows.defined());
  CHECK(torch::equal(c.null_rows, torch::tensor({false, true})));
  // With a negative prompt (mask not all 0) the null embedding is not used.
  recorder->contexts.clear();
  batch.mask[0][0] = true;
  k3::SeededNoise noise2(c0.seed);
  pipeline.text_to_latents(batch, c0.height, c0.width, settings, noise2);
  CHECK_FALSE(recorder->contexts.front().null_rows.any().item<bool>());
}

TEST_CASE("flash sampler: 979, 729, 479, 229, x0 estimate re-noised to the next time", "[unit]") {
  auto sampler = k3::make_sampler("flash", cosine_config());
  sampler->set_timesteps(50);  // ignored: the list is fixed
  CHECK(sampler->timesteps() == std::vector<int64_t>{979, 729, 479, 229});
  CHECK(sampler->step_draws_noise(479));
  CHECK_FALSE(sampler->step_draws_noise(229));
  torch::manual_seed(4);
  const auto x = torch::randn({1, 4, 4, 4}), eps = torch::randn({1, 4, 4, 4}), z = torch::randn({1, 4, 4, 4});
  const double ac = sampler->alphas_cumprod()[729].item<double>(), ac_next = sampler->alphas_cumprod()[479].item<double>();
  const auto x0 = (x - std::sqrt(1 - ac) * eps) / std::sqrt(ac);
  const auto out = sampler->step(eps, 729, x, z);
  CHECK((out.prev_sample - (std::sqrt(ac_next) * x0 + std::sqrt(1 - ac_next) * z)).abs().max().item<double>() < 1e-5);
  const auto last = sampler->step(eps, 229, x, {});
  const double ac_last = sampler->alphas_cumprod()[229].item<double>();
  CHECK((last.prev_sample - (x - std::sqrt(1 - ac_last) * eps) / std::sqrt(ac_last)).abs().max().item<double>() < 1e-5);
}

TEST_CASE("the original's text context: cut to the longest prompt + 1, padded rows zeroed after projection", "[unit]") {
  K3_REQUIRE_FIXTURES();
  k3::Kandinsky3UNet unet(k3::UNetConfig::from_file(tiny() + "/unet/config.json"));
  k3::test::core::load_component(*unet, tiny(), "unet");
  unet->eval();
  torch::NoGradGuard no_grad;
  torch::manual_seed(6);
  const auto sample = random_latents(2);
  const auto t = torch::tensor(300, torch::kLong);
  k3::DenoiserContext context;
  context.embeds = torch::randn({2, 8, k3::test::fixture::model_geometry().text_width});
  context.mask = torch::zeros({2, 8}, torch::kBool);
  context.mask[0].slice(0, 0, 3).fill_(true);  // 3 tokens
  context.mask[1].slice(0, 0, 2).fill_(true);  // 2 tokens
  context.original_context = true;
  k3::UNetDenoiser denoiser(unet);
  const auto got = denoiser.predict_noise(sample, t, context);
  auto embeds = context.embeds.slice(1, 0, 4);
  auto mask = context.mask.slice(1, 0, 4);
  auto projected = unet->project_context(embeds) * mask.unsqueeze(-1).to(torch::kFloat);
  const auto want = unet->forward_projected(sample, t, projected, mask);
  CHECK((got - want).abs().max().item<double>() < 1e-6);
  const auto diffusers = unet->forward(sample, t, context.embeds, context.mask);
  const double difference = (got - diffusers).abs().max().item<double>();
  std::cout << "original vs diffusers text context: max difference " << difference << " (pooling mean only)\n";
  CHECK(difference > 1e-6);
}
