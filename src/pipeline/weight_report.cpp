// Checks weight files against an architecture from their headers only (src/io/weights.h).
#include "src/pipeline/weight_report.h"

#include "base/errors.h"
#include "src/io/weights.h"
#include "src/nn/nn_layers.h"

namespace k3 {

nlohmann::json weight_report(const std::vector<std::string>& files, const Architecture& arch, const std::string& what,
                             const std::string& class_name, const std::string& config_path) {
  nlohmann::json out;
  out["files"] = files;
  const auto store = WeightStore::open_files(files);
  std::map<std::string, int64_t> dtypes;
  for (const auto& name : store.names()) ++dtypes[dtype_name(store.record(name).dtype)];
  out["dtypes"] = dtypes;
  out["tensors"] = store.names().size();
  out["parameters"] = store.total_elements();
  if (!arch.module) {
    out["architecture"] = "unknown class: not checked";
    return out;
  }
  if (!arch.warnings.empty()) out["config_warnings"] = arch.warnings;
  out["architecture_parameters"] = nn::parameter_count(*arch.module);
  out["architecture_tensors"] = arch.module->named_parameters().size() + arch.module->named_buffers().size();
  const auto report = check_weights(*arch.module, store, arch.aliases);
  out["missing"] = report.missing;
  out["unexpected"] = report.unexpected;
  out["mis_shaped"] = report.mis_shaped;
  out["wrong_dtype"] = report.wrong_dtype;
  if (!report.ok())
    throw WeightError(what + " (" + store.describe_files() + "): expected weights matching " + class_name + " of " +
                      config_path + ", got " + report.summary());
  return out;
}

}  // namespace k3
