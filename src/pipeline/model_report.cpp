// The model report of `k3anim inspect` (src/public/model_report.h); the component classes follow
// diffusers' model_index.json of kandinsky-community/kandinsky-3.
#include "src/public/model_report.h"

#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/models/movq.h"
#include "src/models/movq_config.h"
#include "src/models/t5_encoder.h"
#include "src/models/unet.h"
#include "src/models/unet_config.h"
#include "src/pipeline/weight_report.h"
#include "src/public/t5_tokenizer.h"
#include "src/sampling/scheduler_config.h"

namespace k3 {
namespace {

Architecture build_architecture(const ModelFolder& folder, const std::string& component, const std::string& class_name) {
  const auto config_path = folder.config_path(component);
  const auto json = folder.config(component);
  Architecture arch;
  if (class_name == "T5EncoderModel") {
    auto config = T5EncoderConfig::from_json(json, config_path);
    arch.warnings = config.warnings;
    arch.module = T5Encoder(config).ptr();
    arch.aliases = T5EncoderImpl::checkpoint_aliases();
  } else if (class_name == "Kandinsky3UNet") {
    auto config = UNetConfig::from_json(json, config_path);
    arch.warnings = config.warnings;
    arch.module = Kandinsky3UNet(config).ptr();
  } else if (class_name == "VQModel") {
    auto config = MoVQConfig::from_json(json, config_path);
    arch.warnings = config.warnings;
    arch.module = VQModel(config).ptr();
  }
  return arch;
}

nlohmann::json inspect_component(const ModelFolder& folder, const std::string& component) {
  const std::string class_name = folder.class_name(component);
  nlohmann::json out = {{"class", class_name}};
  if (class_name == "T5Tokenizer" || class_name == "T5TokenizerFast") {
    const auto tokenizer = T5Tokenizer::load(folder.path(component));
    out["vocab_size"] = tokenizer.vocab_size();
    if (!tokenizer.warnings().empty()) out["warnings"] = tokenizer.warnings();
  } else if (class_name.find("Scheduler") != std::string::npos) {
    const auto config = SchedulerConfig::from_json(folder.config(component), folder.config_path(component));
    out["config"] = config.to_json();
    if (!config.warnings.empty()) out["config_warnings"] = config.warnings;
  } else {
    out.update(weight_report(folder.weight_files(component), build_architecture(folder, component, class_name), component,
                             class_name, folder.config_path(component)));
  }
  return out;
}

}  // namespace

ModelReport inspect_model_folder(const std::string& dir, const std::string& variant) {
  const auto folder = ModelFolder::open(dir, variant);
  ModelReport report;
  // The Kandinsky 3 pipelines need all five components; other folders are checked as listed.
  auto components = folder.components();
  const auto index = read_json_file(folder.dir() + "/model_index.json");
  if (index.value("_class_name", std::string()).rfind("Kandinsky3", 0) == 0)
    for (const char* required : {"movq", "scheduler", "text_encoder", "tokenizer", "unet"})
      if (!folder.has_component(required)) components.push_back(required);
  for (const auto& component : components) {
    report.order.push_back(component);
    try {
      report.components[component] = inspect_component(folder, component);
    } catch (const Error& e) {
      const std::string class_name = folder.has_component(component) ? folder.class_name(component) : "(absent)";
      report.components[component] = {{"class", class_name}, {"error", e.what()}};
      if (!report.first_error) report.first_error = std::current_exception();
    }
  }
  return report;
}

}  // namespace k3
