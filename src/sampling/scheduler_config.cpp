// Follows diffusers schedulers/scheduling_ddpm.py (DDPMScheduler.__init__ defaults and checks).
#include "src/sampling/scheduler_config.h"

#include "base/json_reader.h"
#include "src/io/model_folder.h"

#include <algorithm>

namespace k3 {

namespace {
void require_one_of(JsonReader& reader, const std::string& key, const std::string& value,
                    std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* option : allowed) {
    if (value == option) return;
    list += (list.empty() ? "" : ", ") + std::string(option);
  }
  reader.fail(key, "one of " + list, "'" + value + "'");
}
}  // namespace

SchedulerConfig SchedulerConfig::from_json(const nlohmann::json& json, const std::string& file) {
  JsonReader reader(json, file);
  SchedulerConfig config;
  config.class_name = reader.optional_string("_class_name", "DDPMScheduler");
  config.num_train_timesteps = reader.required_int("num_train_timesteps");
  config.beta_schedule = reader.required_string("beta_schedule");
  config.beta_start = reader.optional_double("beta_start", config.beta_start);
  config.beta_end = reader.optional_double("beta_end", config.beta_end);
  if (reader.has("trained_betas")) {
    const auto& betas = json.at("trained_betas");
    if (!betas.is_array()) reader.fail("trained_betas", "null or an array of numbers", betas.dump().substr(0, 40));
    for (const auto& beta : betas) {
      if (!beta.is_number()) reader.fail("trained_betas", "numbers", beta.dump());
      config.trained_betas.push_back(beta.get<double>());
    }
    if (static_cast<int64_t>(config.trained_betas.size()) != config.num_train_timesteps)
      reader.fail("trained_betas", std::to_string(config.num_train_timesteps) + " values",
                  std::to_string(config.trained_betas.size()));
  }
  config.variance_type = reader.optional_string("variance_type", config.variance_type);
  config.clip_sample = reader.optional_bool("clip_sample", config.clip_sample);
  config.clip_sample_range = reader.optional_double("clip_sample_range", config.clip_sample_range);
  config.prediction_type = reader.optional_string("prediction_type", config.prediction_type);
  config.thresholding = reader.optional_bool("thresholding", config.thresholding);
  config.dynamic_thresholding_ratio = reader.optional_double("dynamic_thresholding_ratio", config.dynamic_thresholding_ratio);
  config.sample_max_value = reader.optional_double("sample_max_value", config.sample_max_value);
  config.timestep_spacing = reader.optional_string("timestep_spacing", config.timestep_spacing);
  config.steps_offset = reader.optional_int("steps_offset", config.steps_offset);
  config.set_alpha_to_one = reader.optional_bool("set_alpha_to_one", config.set_alpha_to_one);
  config.rescale_betas_zero_snr = reader.optional_bool("rescale_betas_zero_snr", config.rescale_betas_zero_snr);
  reader.ignore({"skip_prk_steps", "variance_type_learned"});

  if (config.num_train_timesteps <= 0)
    reader.fail("num_train_timesteps", "a positive integer", std::to_string(config.num_train_timesteps));
  if (config.trained_betas.empty())
    require_one_of(reader, "beta_schedule", config.beta_schedule, {"linear", "scaled_linear", "squaredcos_cap_v2"});
  require_one_of(reader, "variance_type", config.variance_type, {"fixed_small", "fixed_small_log", "fixed_large"});
  require_one_of(reader, "prediction_type", config.prediction_type, {"epsilon", "sample", "v_prediction"});
  require_one_of(reader, "timestep_spacing", config.timestep_spacing, {"leading", "trailing", "linspace"});
  if (config.thresholding) reader.fail("thresholding", "false (dynamic thresholding is not implemented)", "true");
  if (config.rescale_betas_zero_snr) reader.fail("rescale_betas_zero_snr", "false (not implemented)", "true");
  if (config.steps_offset < 0) reader.fail("steps_offset", "a non-negative integer", std::to_string(config.steps_offset));
  config.warnings = reader.unknown_key_warnings();
  return config;
}

SchedulerConfig SchedulerConfig::from_file(const std::string& path) { return from_json(read_json_file(path), path); }

nlohmann::json SchedulerConfig::to_json() const {
  nlohmann::json json = {{"_class_name", class_name},
                         {"num_train_timesteps", num_train_timesteps},
                         {"beta_start", beta_start},
                         {"beta_end", beta_end},
                         {"beta_schedule", beta_schedule},
                         {"variance_type", variance_type},
                         {"clip_sample", clip_sample},
                         {"clip_sample_range", clip_sample_range},
                         {"prediction_type", prediction_type},
                         {"thresholding", thresholding},
                         {"dynamic_thresholding_ratio", dynamic_thresholding_ratio},
                         {"sample_max_value", sample_max_value},
                         {"timestep_spacing", timestep_spacing},
                         {"steps_offset", steps_offset},
                         {"set_alpha_to_one", set_alpha_to_one}};
  json["trained_betas"] = trained_betas.empty() ? nlohmann::json(nullptr) : nlohmann::json(trained_betas);
  return json;
}

SchedulerConfig SchedulerConfig::kandinsky3() {
  SchedulerConfig config;
  config.class_name = "DDPMScheduler";
  config.num_train_timesteps = 1000;
  config.beta_start = 0.00085;
  config.beta_end = 0.012;
  config.beta_schedule = "squaredcos_cap_v2";
  config.variance_type = "fixed_small";
  config.clip_sample = true;
  config.clip_sample_range = 1.0;
  config.prediction_type = "epsilon";
  config.timestep_spacing = "leading";
  config.steps_offset = 1;
  config.set_alpha_to_one = false;
  return config;
}

}  // namespace k3
