// `k3anim inspect --model DIR [--json] [--variant V]`: what a model folder holds, from safetensors
// headers and config files only (no tensor data is read): each component's class, dtypes, tensor
// and parameter counts, and every missing, unexpected, mis-shaped or wrongly typed tensor against
// the architecture its config describes. Exits non-zero (with a one-line error) on any problem.
#include "cli/command.h"
#include "depth/depth_estimator.h"
#include "depth/depth_model.h"
#include "base/errors.h"
#include "src/model_folder.h"
#include "src/movq.h"
#include "src/movq_config.h"
#include "src/nn_layers.h"
#include "src/scheduler_config.h"
#include "src/t5_encoder.h"
#include "src/t5_tokenizer.h"
#include "src/unet.h"
#include "src/unet_config.h"
#include "src/weights.h"

#include <nlohmann/json.hpp>

#include <exception>
#include <iostream>
#include <memory>

namespace {

struct InspectOptions {
  std::string model;
  std::string variant;
  bool json = false;
};

// The module a weight component's config describes (uninitialised: no memory is touched), with
// the checkpoint aliases its loader accepts.
struct Architecture {
  std::shared_ptr<torch::nn::Module> module;
  std::map<std::string, std::string> aliases;
  std::vector<std::string> warnings;
};

Architecture build_architecture(const k3::ModelFolder& folder, const std::string& component, const std::string& class_name) {
  const auto config_path = folder.config_path(component);
  const auto json = folder.config(component);
  Architecture arch;
  if (class_name == "T5EncoderModel") {
    auto config = k3::T5EncoderConfig::from_json(json, config_path);
    arch.warnings = config.warnings;
    arch.module = k3::T5Encoder(config).ptr();
    arch.aliases = k3::T5EncoderImpl::checkpoint_aliases();
  } else if (class_name == "Kandinsky3UNet") {
    auto config = k3::UNetConfig::from_json(json, config_path);
    arch.warnings = config.warnings;
    arch.module = k3::Kandinsky3UNet(config).ptr();
  } else if (class_name == "VQModel") {
    auto config = k3::MoVQConfig::from_json(json, config_path);
    arch.warnings = config.warnings;
    arch.module = k3::VQModel(config).ptr();
  }
  return arch;
}

// The report of weight `files` against the module `arch` describes; throws WeightError naming
// `what` and `config_path` when they do not match.
nlohmann::json weight_report(const std::vector<std::string>& files, const Architecture& arch, const std::string& what,
                             const std::string& class_name, const std::string& config_path) {
  nlohmann::json out;
  out["files"] = files;
  const auto store = k3::WeightStore::open_files(files);
  std::map<std::string, int64_t> dtypes;
  for (const auto& name : store.names()) ++dtypes[k3::dtype_name(store.record(name).dtype)];
  out["dtypes"] = dtypes;
  out["tensors"] = store.names().size();
  out["parameters"] = store.total_elements();
  if (!arch.module) {
    out["architecture"] = "unknown class: not checked";
    return out;
  }
  if (!arch.warnings.empty()) out["config_warnings"] = arch.warnings;
  out["architecture_parameters"] = k3::nn::parameter_count(*arch.module);
  out["architecture_tensors"] = arch.module->named_parameters().size() + arch.module->named_buffers().size();
  const auto report = k3::check_weights(*arch.module, store, arch.aliases);
  out["missing"] = report.missing;
  out["unexpected"] = report.unexpected;
  out["mis_shaped"] = report.mis_shaped;
  out["wrong_dtype"] = report.wrong_dtype;
  if (!report.ok())
    throw k3::WeightError(what + " (" + store.describe_files() + "): expected weights matching " + class_name + " of " +
                          config_path + ", got " + report.summary());
  return out;
}

nlohmann::json inspect_weights(const k3::ModelFolder& folder, const std::string& component, const std::string& class_name) {
  const auto files = folder.weight_files(component);
  return weight_report(files, build_architecture(folder, component, class_name), component, class_name,
                       folder.config_path(component));
}

// A depth model folder (Hugging Face layout: config.json, preprocessor_config.json, weights).
nlohmann::json inspect_depth_folder(const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  const auto config = k3::depth::DepthModelConfig::from_json(k3::read_json_file(config_path), config_path);
  const bool anything = config.architecture == k3::depth::DepthArchitecture::DepthAnything;
  const std::string class_name = anything ? "DepthAnythingForDepthEstimation" : "DPTForDepthEstimation";
  Architecture arch;
  arch.module = k3::depth::DepthModel(config).ptr();
  arch.warnings = config.warnings;
  nlohmann::json out = {{"class", class_name}};
  const std::string processor_path = dir + "/preprocessor_config.json";
  const auto processor = k3::depth::ProcessorConfig::from_json(k3::read_json_file(processor_path), processor_path);
  out["processor"] = {{"height", processor.height},
                      {"width", processor.width},
                      {"keep_aspect_ratio", processor.keep_aspect_ratio},
                      {"ensure_multiple_of", processor.ensure_multiple_of},
                      {"resample", processor.resample == 2 ? "bilinear" : "bicubic"}};
  out.update(weight_report(k3::depth::depth_weight_files(dir), arch, "depth model", class_name, config_path));
  for (const auto& warning : processor.warnings) out["config_warnings"].push_back(warning);
  return out;
}

nlohmann::json inspect_component(const k3::ModelFolder& folder, const std::string& component) {
  const std::string class_name = folder.class_name(component);
  nlohmann::json out = {{"class", class_name}};
  if (class_name == "T5Tokenizer" || class_name == "T5TokenizerFast") {
    const auto tokenizer = k3::T5Tokenizer::load(folder.path(component));
    out["vocab_size"] = tokenizer.vocab_size();
    if (!tokenizer.warnings().empty()) out["warnings"] = tokenizer.warnings();
  } else if (class_name.find("Scheduler") != std::string::npos) {
    const auto config = k3::SchedulerConfig::from_json(folder.config(component), folder.config_path(component));
    out["config"] = config.to_json();
    if (!config.warnings.empty()) out["config_warnings"] = config.warnings;
  } else {
    out.update(inspect_weights(folder, component, class_name));
  }
  return out;
}

std::string with_commas(int64_t value) {
  std::string digits = std::to_string(value), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

void print_text(const std::string& component, const nlohmann::json& info) {
  std::cout << component << ": " << info.value("class", std::string("?")) << "\n";
  if (info.contains("error")) {
    std::cout << "  ERROR: " << info["error"].get<std::string>() << "\n";
    return;
  }
  if (info.contains("tensors")) {
    std::string dtypes;
    for (auto it = info["dtypes"].begin(); it != info["dtypes"].end(); ++it)
      dtypes += (dtypes.empty() ? "" : ", ") + it.key() + " x" + std::to_string(it.value().get<int64_t>());
    std::cout << "  files: " << info["files"].size() << ", tensors: " << info["tensors"].get<int64_t>()
              << ", parameters: " << with_commas(info["parameters"].get<int64_t>()) << " (" << dtypes << ")\n";
    if (info.contains("architecture_parameters"))
      std::cout << "  architecture: " << with_commas(info["architecture_parameters"].get<int64_t>()) << " parameters in "
                << info["architecture_tensors"].get<int64_t>() << " tensors; missing " << info["missing"].size()
                << ", unexpected " << info["unexpected"].size() << ", mis-shaped " << info["mis_shaped"].size()
                << ", wrong dtype " << info["wrong_dtype"].size() << "\n";
  }
  if (info.contains("processor"))
    std::cout << "  processor: " << info["processor"]["height"].get<int64_t>() << "x" << info["processor"]["width"].get<int64_t>()
              << (info["processor"]["keep_aspect_ratio"].get<bool>() ? " keeping the aspect ratio" : "") << ", multiple of "
              << info["processor"]["ensure_multiple_of"].get<int64_t>() << ", "
              << info["processor"]["resample"].get<std::string>() << "\n";
  if (info.contains("vocab_size")) std::cout << "  vocabulary: " << info["vocab_size"].get<int64_t>() << " tokens\n";
  if (info.contains("config"))
    std::cout << "  " << info["config"]["beta_schedule"].get<std::string>() << ", "
              << info["config"]["num_train_timesteps"].get<int64_t>() << " train steps, spacing "
              << info["config"]["timestep_spacing"].get<std::string>() << "\n";
  for (const char* key : {"config_warnings", "warnings"})
    if (info.contains(key))
      for (const auto& warning : info[key]) std::cout << "  warning: " << warning.get<std::string>() << "\n";
}

k3::cli::RegisterCommand registration("inspect", [](CLI::App& app) -> std::function<int()> {
  auto options = std::make_shared<InspectOptions>();
  auto* sub = app.add_subcommand("inspect", "Check a model folder against the architecture its configs describe");
  sub->add_option("--model", options->model, "model folder (diffusers layout: model_index.json, unet/, ...; or a depth model folder)")->required();
  sub->add_option("--variant", options->variant, "weight variant to prefer, e.g. fp16 (default: plain files, else fp16)");
  sub->add_flag("--json", options->json, "print a JSON report");
  return [options] {
    if (k3::depth::is_depth_model_folder(options->model)) {
      const auto info = inspect_depth_folder(options->model);
      if (options->json) std::cout << nlohmann::json({{"depth_model", info}}).dump(2) << "\n";
      else print_text("depth_model", info);
      return 0;
    }
    const auto folder = k3::ModelFolder::open(options->model, options->variant);
    nlohmann::json report = nlohmann::json::object();
    std::exception_ptr first_error;
    // The Kandinsky 3 pipelines need all five components; other folders are checked as listed.
    auto components = folder.components();
    const auto index = k3::read_json_file(folder.dir() + "/model_index.json");
    if (index.value("_class_name", std::string()).rfind("Kandinsky3", 0) == 0)
      for (const char* required : {"movq", "scheduler", "text_encoder", "tokenizer", "unet"})
        if (!folder.has_component(required)) components.push_back(required);
    for (const auto& component : components) {
      try {
        report[component] = inspect_component(folder, component);
      } catch (const k3::Error& e) {
        const std::string class_name = folder.has_component(component) ? folder.class_name(component) : "(absent)";
        report[component] = {{"class", class_name}, {"error", e.what()}};
        if (!first_error) first_error = std::current_exception();
      }
      if (!options->json) print_text(component, report[component]);
    }
    if (options->json) std::cout << report.dump(2) << "\n";
    // The first problem, as one error line and its exit code.
    if (first_error) std::rethrow_exception(first_error);
    return 0;
  };
});

}  // namespace
