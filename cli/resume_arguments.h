#pragma once
// `k3anim render --resume RUN_DIR` continues with the settings the run folder recorded
// (settings.json). Options that would change them are refused with a clear error instead of
// being ignored: a resumed clip made with another model, device or backend would not be the
// clip that was started.
#include "animation/render/render_settings.h"

#include <string>

namespace k3::cli {

struct ResumeArguments {
  std::string model;   // --model ("" = not given)
  std::string device;  // --device
  bool preview = false;  // --preview
  bool changes_settings = false;  // --set, --frames, -o or --run-dir given
};

// Throws k3::ConfigError naming the option, the recorded value and the given one.
void check_resume_arguments(const k3::anim::RenderSettings& recorded, const ResumeArguments& given,
                            const std::string& run_dir);

}  // namespace k3::cli
