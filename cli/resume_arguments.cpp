#include "cli/resume_arguments.h"

#include "base/errors.h"

#include <filesystem>

namespace k3::cli {

namespace fs = std::filesystem;

namespace {
std::string normal(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }
std::string backend_of(const k3::anim::RenderSettings& s) { return s.model.dir.empty() ? "the preview backend" : "the model " + s.model.dir; }
}  // namespace

void check_resume_arguments(const k3::anim::RenderSettings& recorded, const ResumeArguments& given, const std::string& run_dir) {
  const std::string where = " (recorded in " + run_dir + "/settings.json; --resume continues with the recorded settings)";
  if (!given.model.empty() && normal(given.model) != recorded.model.dir)
    throw k3::ConfigError("--model: expected the run's own model or none, got \"" + given.model + "\"; the run was rendered with " +
                          backend_of(recorded) + where);
  if (given.preview && !recorded.model.dir.empty())
    throw k3::ConfigError("--preview: expected no --preview, got it; the run was rendered with " + backend_of(recorded) + where);
  if (!given.device.empty() && given.device != recorded.model.device)
    throw k3::ConfigError("--device: expected the run's own device \"" + recorded.model.device + "\" or none, got \"" + given.device +
                          "\"" + where);
  if (given.changes_settings)
    throw k3::ConfigError("--resume: expected the run folder only, got --set, --frames, -o or --run-dir too" + where);
}

}  // namespace k3::cli
