// DDPMScheduler against diffusers' golden arrays (k3-tiny-golden/scheduler.*): betas, alphas_cumprod,
// timesteps for each step count, img2img timesteps, step() cases and add_noise.
#include "src/sampling/ddpm_scheduler.h"
#include "base/errors.h"
#include "tests/core/golden.h"

#include <catch2/catch.hpp>

#include <iostream>
#include <map>

using k3::golden::GoldenFile;
using k3::golden::rel_l2;
using k3::golden::to_vector;

namespace {
k3::SchedulerConfig tiny_config() {
  return k3::SchedulerConfig::from_file(k3::golden::model_dir() + "/scheduler/scheduler_config.json");
}
nlohmann::json scheduler_json() { return k3::read_json_file(k3::golden::golden_file("scheduler.json")); }
}  // namespace

TEST_CASE("DDPM betas and alphas_cumprod match diffusers", "[golden]") {
  K3_REQUIRE_FIXTURES();
  GoldenFile golden("scheduler.safetensors");
  k3::DDPMScheduler scheduler(tiny_config());
  const double betas_error = rel_l2(scheduler.betas(), golden.get("betas"));
  const double cumprod_error = rel_l2(scheduler.alphas_cumprod(), golden.get("alphas_cumprod"));
  const double max_diff = (scheduler.alphas_cumprod() - golden.get("alphas_cumprod")).abs().max().item<double>();
  std::cout << "[ddpm] betas rel L2 " << betas_error << ", alphas_cumprod rel L2 " << cumprod_error << " (max abs "
            << max_diff << ")\n";
  CHECK(betas_error <= k3::golden::tolerance::component);
  CHECK(cumprod_error <= k3::golden::tolerance::component);
}

TEST_CASE("DDPM timesteps for every step count of the fixture", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto json = scheduler_json();
  GoldenFile golden("scheduler.safetensors");
  k3::DDPMScheduler scheduler(tiny_config());
  int cases = 0;
  for (auto it = json["timesteps"].begin(); it != json["timesteps"].end(); ++it) {
    const int steps = std::stoi(it.key());
    scheduler.set_timesteps(steps);
    INFO("num_inference_steps " << steps);
    CHECK(scheduler.timesteps() == it.value().get<std::vector<int64_t>>());
    if (golden.has("timesteps_" + it.key())) CHECK(scheduler.timesteps() == to_vector(golden.get("timesteps_" + it.key())));
    ++cases;
  }
  std::cout << "[ddpm] " << cases << " timestep schedules equal exactly\n";
  CHECK(cases > 0);
}

TEST_CASE("img2img timesteps equal Kandinsky3Img2ImgPipeline.get_timesteps", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto json = scheduler_json();
  k3::DDPMScheduler scheduler(tiny_config());
  int cases = 0;
  for (auto it = json["img2img_timesteps"].begin(); it != json["img2img_timesteps"].end(); ++it) {
    const auto& c = it.value();
    scheduler.set_timesteps(c["num_inference_steps"].get<int>());
    const auto got = scheduler.img2img_timesteps(c["strength"].get<double>());
    INFO("case " << it.key());
    CHECK(got == c["timesteps"].get<std::vector<int64_t>>());
    CHECK(static_cast<int64_t>(got.size()) == c["returned_num_inference_steps"].get<int64_t>());
    if (!got.empty()) CHECK(got.front() == c["latent_timestep"].get<int64_t>());
    ++cases;
  }
  std::cout << "[ddpm] " << cases << " img2img timestep lists equal exactly\n";
  CHECK(cases > 0);
}

TEST_CASE("DDPM step() with the recorded noise and with a seeded generator", "[golden]") {
  K3_REQUIRE_FIXTURES();
  const auto json = scheduler_json();
  GoldenFile golden("scheduler.safetensors");
  k3::DDPMScheduler scheduler(tiny_config());
  scheduler.set_timesteps(json["step"]["num_inference_steps"].get<int>());
  const auto model_output = golden.get("step.model_output");
  const auto sample = golden.get("step.sample");
  const auto& cases = json["step"]["cases"];
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const std::string prefix = "step" + std::to_string(k) + ".";
    const int64_t t = golden.get(prefix + "timestep").item<int64_t>();
    CHECK(t == cases[k]["timestep"].get<int64_t>());
    CHECK(scheduler.timesteps()[cases[k]["index"].get<std::size_t>()] == t);
    CHECK(scheduler.previous_timestep(t) == cases[k]["prev_timestep"].get<int64_t>());
    auto out = scheduler.step(model_output, t, sample, golden.get(prefix + "variance_noise"));
    const double prev_error = rel_l2(out.prev_sample, golden.get(prefix + "prev_sample"));
    const double x0_error = rel_l2(out.pred_original_sample, golden.get(prefix + "pred_original_sample"));
    auto generator = at::detail::createCPUGenerator(cases[k]["generator_seed"].get<uint64_t>());
    auto drawn = scheduler.step(model_output, t, sample, generator);
    const double generator_error = rel_l2(drawn.prev_sample, golden.get(prefix + "prev_sample"));
    std::cout << "[ddpm] step t=" << t << ": prev_sample rel L2 " << prev_error << ", pred_original rel L2 " << x0_error
              << ", with generator " << generator_error << "\n";
    CHECK(prev_error <= k3::golden::tolerance::component);
    CHECK(x0_error <= k3::golden::tolerance::component);
    CHECK(generator_error <= k3::golden::tolerance::component);
  }
}

TEST_CASE("DDPM add_noise matches diffusers", "[golden]") {
  K3_REQUIRE_FIXTURES();
  GoldenFile golden("scheduler.safetensors");
  k3::DDPMScheduler scheduler(tiny_config());
  auto out = scheduler.add_noise(golden.get("add_noise.original"), golden.get("add_noise.noise"), golden.get("add_noise.timesteps"));
  k3::golden::check_rel_l2("[ddpm] add_noise", out, golden.get("add_noise.out"), k3::golden::tolerance::component);
}

TEST_CASE("DDPM refuses bad step counts and denoise values", "[unit]") {
  k3::DDPMScheduler scheduler(k3::SchedulerConfig::kandinsky3());
  CHECK_THROWS_AS(scheduler.set_timesteps(0), k3::ConfigError);
  CHECK_THROWS_AS(scheduler.set_timesteps(1001), k3::ConfigError);
  CHECK_THROWS_AS(scheduler.img2img_timesteps(0.5), k3::ConfigError);  // before set_timesteps
  scheduler.set_timesteps(25);
  CHECK(scheduler.timesteps().front() == 961);
  CHECK(scheduler.timesteps().back() == 1);
  CHECK_THROWS_AS(scheduler.img2img_timesteps(1.5), k3::ConfigError);
  CHECK(scheduler.img2img_timesteps(0.0).empty());
  CHECK(scheduler.img2img_timesteps(1.0).size() == 25);
  // A step that needs noise refuses to run without it.
  auto x = torch::zeros({1, 4, 2, 2});
  CHECK_THROWS_AS(scheduler.step(x, 961, x, torch::Tensor()), k3::ConfigError);
}

TEST_CASE("Scheduler config: required keys, unknown keys, unsupported values", "[unit]") {
  nlohmann::json json = k3::SchedulerConfig::kandinsky3().to_json();
  json["some_future_key"] = 3;
  auto config = k3::SchedulerConfig::from_json(json, "scheduler_config.json");
  REQUIRE(config.warnings.size() == 1);
  CHECK(config.warnings[0].find("some_future_key") != std::string::npos);
  auto missing = json;
  missing.erase("num_train_timesteps");
  CHECK_THROWS_WITH(k3::SchedulerConfig::from_json(missing, "x/scheduler_config.json"),
                    Catch::Contains("x/scheduler_config.json") && Catch::Contains("num_train_timesteps"));
  auto bad = json;
  bad["prediction_type"] = "flow";
  CHECK_THROWS_WITH(k3::SchedulerConfig::from_json(bad, "f"),
                    Catch::Contains("prediction_type") && Catch::Contains("one of epsilon, sample, v_prediction") &&
                        Catch::Contains("'flow'"));
  // Every spelling of each choice reads into its enum and is written back the same.
  const std::map<std::string, std::vector<std::string>> choices = {
      {"beta_schedule", {"linear", "scaled_linear", "squaredcos_cap_v2"}},
      {"variance_type", {"fixed_small", "fixed_small_log", "fixed_large"}},
      {"prediction_type", {"epsilon", "sample", "v_prediction"}},
      {"timestep_spacing", {"leading", "trailing", "linspace"}}};
  for (const auto& [key, names] : choices)
    for (const auto& name : names) {
      auto one = json;
      one[key] = name;
      CHECK(k3::SchedulerConfig::from_json(one, "f").to_json()[key] == name);
    }
  auto wrong_type = json;
  wrong_type["steps_offset"] = "one";
  CHECK_THROWS_WITH(k3::SchedulerConfig::from_json(wrong_type, "f"), Catch::Contains("steps_offset"));
}
