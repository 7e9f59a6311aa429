// DDIMScheduler: the deterministic (eta = 0) update written out in float64 from the same
// alphas_cumprod, the selection by name, and noise consumption only when eta > 0.
#include "src/sampling/ddim_scheduler.h"
#include "base/errors.h"
#include "tests/core/golden.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

TEST_CASE("DDIM eta=0 step equals the closed-form update", "[unit]") {
  auto config = k3::SchedulerConfig::kandinsky3();
  auto sampler = k3::make_sampler("DDIM", config, 0.0);
  REQUIRE(sampler->name() == "ddim");
  sampler->set_timesteps(25);
  torch::manual_seed(3);
  auto x = torch::randn({2, 4, 8, 8});
  auto eps = torch::randn({2, 4, 8, 8});
  const auto ac = sampler->alphas_cumprod().to(torch::kFloat64);
  for (int64_t t : {961L, 481L, 1L}) {
    const int64_t prev = t - 40;
    const double a_t = ac[t].item<double>();
    const double a_prev = prev >= 0 ? ac[prev].item<double>() : ac[0].item<double>();  // set_alpha_to_one=false
    auto x64 = x.to(torch::kFloat64), e64 = eps.to(torch::kFloat64);
    auto x0 = ((x64 - std::sqrt(1 - a_t) * e64) / std::sqrt(a_t)).clamp(-1, 1);
    auto expected = std::sqrt(a_prev) * x0 + std::sqrt(1 - a_prev) * e64;
    auto out = sampler->step(eps, t, x, torch::Tensor());
    const double error = k3::golden::rel_l2(out.prev_sample, expected);
    std::cout << "[ddim] eta=0 step t=" << t << " rel L2 vs float64 formula " << error << "\n";
    CHECK(error <= 1e-5);
  }
}

TEST_CASE("DDIM draws noise only when eta > 0", "[unit]") {
  auto config = k3::SchedulerConfig::kandinsky3();
  k3::DDIMScheduler deterministic(config, 0.0), stochastic(config, 0.5);
  deterministic.set_timesteps(10);
  stochastic.set_timesteps(10);
  CHECK_FALSE(deterministic.step_draws_noise(901));
  CHECK(stochastic.step_draws_noise(901));
  auto x = torch::ones({1, 4, 4, 4}) * 0.3;
  auto eps = torch::ones({1, 4, 4, 4}) * 0.1;
  auto g1 = at::detail::createCPUGenerator(5), g2 = at::detail::createCPUGenerator(6);
  auto a = deterministic.step(eps, 901, x, g1).prev_sample;
  auto b = deterministic.step(eps, 901, x, g2).prev_sample;
  CHECK(torch::equal(a, b));  // seed-independent
  auto c = stochastic.step(eps, 901, x, g1).prev_sample;
  auto d = stochastic.step(eps, 901, x, g2).prev_sample;
  CHECK_FALSE(torch::equal(c, d));
  CHECK_THROWS_AS(k3::DDIMScheduler(config, 1.5), k3::ConfigError);
  CHECK_THROWS_AS(k3::make_sampler("euler", config), k3::ConfigError);
  CHECK(k3::make_sampler("ddpm", config)->name() == "ddpm");
}
