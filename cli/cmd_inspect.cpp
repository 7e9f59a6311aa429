// `k3anim inspect --model DIR [--json] [--variant V]`: prints the model report of a Kandinsky 3
// folder (src/public/model_report.h) or of a depth model folder (depth/depth_report.h). Exits
// non-zero (with a one-line error) on any problem.
#include "cli/command.h"
#include "depth/depth_report.h"
#include "src/public/model_report.h"

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
      const auto info = k3::depth::inspect_depth_folder(options->model);
      if (options->json) std::cout << nlohmann::json({{"depth_model", info}}).dump(2) << "\n";
      else print_text("depth_model", info);
      return 0;
    }
    const auto report = k3::inspect_model_folder(options->model, options->variant);
    if (!options->json)
      for (const auto& component : report.order) print_text(component, report.components[component]);
    if (options->json) std::cout << report.components.dump(2) << "\n";
    // The first problem, as one error line and its exit code.
    if (report.first_error) std::rethrow_exception(report.first_error);
    return 0;
  };
});

}  // namespace
