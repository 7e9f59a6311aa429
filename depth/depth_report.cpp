// The depth part of `k3anim inspect`; classes and processor keys as in transformers'
// models/dpt and models/depth_anything (config and image-processor files).
#include "depth/depth_report.h"

#include "depth/depth_config.h"
#include "depth/depth_estimator.h"
#include "depth/depth_model.h"
#include "base/errors.h"
#include "src/io/model_folder.h"
#include "src/pipeline/weight_report.h"

#include <filesystem>

namespace k3::depth {

bool is_depth_model_folder(const std::string& dir) {
  std::error_code ec;
  const std::string path = dir + "/config.json";
  if (!std::filesystem::is_regular_file(path, ec) || std::filesystem::exists(dir + "/model_index.json", ec)) return false;
  try {
    const auto json = read_json_file(path);
    const auto type = json.value("model_type", std::string());
    return type == "depth_anything" || type == "dpt";
  } catch (const Error&) {
    return false;
  }
}

nlohmann::json inspect_depth_folder(const std::string& dir) {
  const std::string config_path = dir + "/config.json";
  const auto config = DepthModelConfig::from_json(read_json_file(config_path), config_path);
  const bool anything = config.architecture == DepthArchitecture::DepthAnything;
  const std::string class_name = anything ? "DepthAnythingForDepthEstimation" : "DPTForDepthEstimation";
  Architecture arch;
  arch.module = DepthModel(config).ptr();
  arch.warnings = config.warnings;
  nlohmann::json out = {{"class", class_name}};
  const std::string processor_path = dir + "/preprocessor_config.json";
  const auto processor = ProcessorConfig::from_json(read_json_file(processor_path), processor_path);
  out["processor"] = {{"height", processor.height},
                      {"width", processor.width},
                      {"keep_aspect_ratio", processor.keep_aspect_ratio},
                      {"ensure_multiple_of", processor.ensure_multiple_of},
                      {"resample", processor.resample == 2 ? "bilinear" : "bicubic"}};
  out.update(weight_report(depth_weight_files(dir), arch, "depth model", class_name, config_path));
  for (const auto& warning : processor.warnings) out["config_warnings"].push_back(warning);
  return out;
}

}  // namespace k3::depth
