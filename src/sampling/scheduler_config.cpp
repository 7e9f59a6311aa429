// Follows diffusers schedulers/scheduling_ddpm.py (DDPMScheduler.__init__ defaults and checks).
#include "src/sampling/scheduler_config.h"

#include "base/json_reader.h"
#include "src/io/model_folder.h"

#include <algorithm>

namespace k3 {

namespace {

// Each enum's spellings in config files, in the enum's order.
const std::vector<std::string> kBetaSchedules = {"linear", "scaled_linear", "squaredcos_cap_v2"};
const std::vector<std::string> kVarianceTypes = {"fixed_small", "fixed_small_log", "fixed_large"};
const std::vector<std::string> kPredictionTypes = {"epsilon", "sample", "v_prediction"};
const std::vector<std::string> kTimestepSpacings = {"leading", "trailing", "linspace"};
const std::vector<std::string>& names_of(BetaSchedule) { return kBetaSchedules; }
const std::vector<std::string>& names_of(VarianceType) { return kVarianceTypes; }
const std::vector<std::string>& names_of(PredictionType) { return kPredictionTypes; }
const std::vector<std::string>& names_of(TimestepSpacing) { return kTimestepSpacings; }

template <typename Enum>
const std::string& name_of(Enum value) {
  return names_of(value)[static_cast<std::size_t>(value)];
}

// The enum of `text`; a text of none of its spellings fails naming them (when `strict`) or
// keeps `value`.
template <typename Enum>
void parse_enum(JsonReader& reader, const std::string& key, const std::string& text, Enum& value, bool strict = true) {
  const auto& names = names_of(value);
  const auto it = std::find(names.begin(), names.end(), text);
  if (it != names.end()) {
    value = static_cast<Enum>(it - names.begin());
    return;
  }
  if (!strict) return;
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
  reader.fail(key, "one of " + list, "'" + text + "'");
}

}  // namespace

SchedulerConfig SchedulerConfig::from_json(const nlohmann::json& json, const std::string& file) {
  JsonReader reader(json, file);
  SchedulerConfig config;
  config.class_name = reader.optional_string("_class_name", "DDPMScheduler");
  config.num_train_timesteps = reader.required_int("num_train_timesteps");
  const std::string beta_schedule = reader.required_string("beta_schedule");
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
  const std::string variance_type = reader.optional_string("variance_type", name_of(config.variance_type));
  config.clip_sample = reader.optional_bool("clip_sample", config.clip_sample);
  config.clip_sample_range = reader.optional_double("clip_sample_range", config.clip_sample_range);
  const std::string prediction_type = reader.optional_string("prediction_type", name_of(config.prediction_type));
  config.thresholding = reader.optional_bool("thresholding", config.thresholding);
  config.dynamic_thresholding_ratio = reader.optional_double("dynamic_thresholding_ratio", config.dynamic_thresholding_ratio);
  config.sample_max_value = reader.optional_double("sample_max_value", config.sample_max_value);
  const std::string timestep_spacing = reader.optional_string("timestep_spacing", name_of(config.timestep_spacing));
  config.steps_offset = reader.optional_int("steps_offset", config.steps_offset);
  config.set_alpha_to_one = reader.optional_bool("set_alpha_to_one", config.set_alpha_to_one);
  config.rescale_betas_zero_snr = reader.optional_bool("rescale_betas_zero_snr", config.rescale_betas_zero_snr);
  reader.ignore({"skip_prk_steps", "variance_type_learned"});

  if (config.num_train_timesteps <= 0)
    reader.fail("num_train_timesteps", "a positive integer", std::to_string(config.num_train_timesteps));
  // With trained_betas the schedule's name is unused (diffusers' rule), so any name passes.
  parse_enum(reader, "beta_schedule", beta_schedule, config.beta_schedule, config.trained_betas.empty());
  parse_enum(reader, "variance_type", variance_type, config.variance_type);
  parse_enum(reader, "prediction_type", prediction_type, config.prediction_type);
  parse_enum(reader, "timestep_spacing", timestep_spacing, config.timestep_spacing);
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
                         {"beta_schedule", name_of(beta_schedule)},
                         {"variance_type", name_of(variance_type)},
                         {"clip_sample", clip_sample},
                         {"clip_sample_range", clip_sample_range},
                         {"prediction_type", name_of(prediction_type)},
                         {"thresholding", thresholding},
                         {"dynamic_thresholding_ratio", dynamic_thresholding_ratio},
                         {"sample_max_value", sample_max_value},
                         {"timestep_spacing", name_of(timestep_spacing)},
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
  config.beta_schedule = BetaSchedule::SquaredcosCapV2;
  config.variance_type = VarianceType::FixedSmall;
  config.clip_sample = true;
  config.clip_sample_range = 1.0;
  config.prediction_type = PredictionType::Epsilon;
  config.timestep_spacing = TimestepSpacing::Leading;
  config.steps_offset = 1;
  config.set_alpha_to_one = false;
  return config;
}

}  // namespace k3
