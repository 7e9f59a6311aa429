#pragma once
// The noise scheduler's settings, read from scheduler/scheduler_config.json.
// Follows diffusers schedulers/scheduling_ddpm.py and scheduling_ddim.py (register_to_config defaults).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace k3 {

// The settings of a fixed set of spellings, enums after validation (spelled as diffusers does
// only in files: scheduler_setting_names).
enum class BetaSchedule { Linear, ScaledLinear, SquaredcosCapV2 };  // linear, scaled_linear, squaredcos_cap_v2
enum class VarianceType { FixedSmall, FixedSmallLog, FixedLarge };  // fixed_small, fixed_small_log, fixed_large
enum class PredictionType { Epsilon, Sample, VPrediction };         // epsilon, sample, v_prediction
enum class TimestepSpacing { Leading, Trailing, Linspace };         // leading, trailing, linspace

struct SchedulerConfig {
  std::string class_name = "DDPMScheduler";
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  BetaSchedule beta_schedule = BetaSchedule::Linear;
  std::vector<double> trained_betas;     // empty = none
  VarianceType variance_type = VarianceType::FixedSmall;
  bool clip_sample = true;
  double clip_sample_range = 1.0;
  PredictionType prediction_type = PredictionType::Epsilon;
  bool thresholding = false;
  double dynamic_thresholding_ratio = 0.995;
  double sample_max_value = 1.0;
  TimestepSpacing timestep_spacing = TimestepSpacing::Leading;
  int64_t steps_offset = 0;
  bool set_alpha_to_one = true;  // DDIM only (final alpha_cumprod); DDPM ignores it
  bool rescale_betas_zero_snr = false;
  std::vector<std::string> warnings;  // unknown keys

  // Required keys: num_train_timesteps, beta_schedule. Values this port does not implement
  // (e.g. thresholding, learned variance) are a ConfigError naming the file and key.
  static SchedulerConfig from_json(const nlohmann::json& json, const std::string& file);
  static SchedulerConfig from_file(const std::string& path);
  nlohmann::json to_json() const;
  // The values of kandinsky-community/kandinsky-3's scheduler_config.json (specs/kandinsky3.md 1.6).
  static SchedulerConfig kandinsky3();
};

}  // namespace k3
