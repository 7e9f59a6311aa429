// `k3anim render PRESET... [--model DIR] [-o out.mp4] [--preview] [--resume RUN_DIR]
//  [--set key=value ...] [--frames N] [--run-dir DIR] [--run-root ROOT [--shard I/N]]`: renders
// presets one after another, each isolated (one failure does not stop the rest; exit code
// kExitPartial says some failed). With --run-root, one worker of a farm (cli/render_farm.h).
#include "animation/render/frame_backend.h"
#include "animation/render/frame_params.h"
#include "animation/render/presets.h"
#include "animation/render/render_loop.h"
#include "animation/render/render_settings.h"
#include "animation/render/story.h"
#include "cli/command.h"
#include "cli/exit_codes.h"
#include "cli/render_farm.h"
#include "cli/render_progress.h"
#include "cli/stop_signal.h"
#include "src/errors.h"
#include "src/generator.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

namespace fs = std::filesystem;
using namespace k3::anim;

struct RenderOptions {
  std::vector<std::string> presets;
  std::string model;
  std::string output;
  std::string run_dir;
  std::string resume;
  std::string device;
  std::vector<std::string> overrides;
  int frames = 0;
  bool preview = false;
  k3::cli::FarmOptions farm;
};

nlohmann::json read_preset_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw k3::FileError("cannot open preset " + path);
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw k3::FileError(path + ": expected valid JSON, got a parse error: " + e.what());
  }
}

RenderSettings load_motion_preset(const std::string& name) {
  std::string path = find_preset(name);
  return parse_render_settings(read_preset_json(path), path, fs::path(path).parent_path().string());
}

std::unique_ptr<FrameBackend> choose_backend(const RenderSettings& settings, const RenderOptions& options, bool quiet) {
  if (settings.model.dir.empty()) {
    if (!quiet)
      std::cerr << "k3anim: preview backend: "
                << (options.preview ? "--preview given" : "no model given (--model DIR or model.dir)")
                << "; motion, colour and noise only, no diffusion\n";
    return make_preview_backend();
  }
  k3::GeneratorOptions g;
  g.model_dir = settings.model.dir;
  g.device = settings.model.device;
  g.dtype = settings.model.dtype;
  g.variant = settings.model.variant;
  g.sampler = settings.model.sampler;
  if (!quiet) std::cerr << "k3anim: loading Kandinsky 3 from " << g.model_dir << " (" << g.device << ", " << g.dtype << ")\n";
  return make_kandinsky_backend(g);
}

// A preset with the command line's overrides applied, validated and its story expanded.
k3::cli::PreparedClip prepare_preset(const std::string& preset_arg, const RenderOptions& options, bool several) {
  std::string path = resolve_preset_argument(preset_arg);
  nlohmann::json preset = read_preset_json(path);
  for (const auto& assignment : options.overrides) apply_override(preset, assignment);
  if (!options.model.empty()) apply_override(preset, "model.dir=" + nlohmann::json(options.model).dump());
  if (!options.device.empty()) apply_override(preset, "model.device=" + nlohmann::json(options.device).dump());
  RenderSettings settings = parse_render_settings(preset, path, fs::path(path).parent_path().string());
  settings = expand_story(settings, load_motion_preset);
  if (options.frames > 0) settings.frames = options.frames;
  if (options.preview) settings.model.dir.clear();  // the effective settings say preview
  if (!options.output.empty())
    settings.output.video = several ? (fs::path(options.output) / (settings.name + ".mp4")).string() : options.output;
  evaluate_frame_params(settings, settings.seed.seed, path);
  return {settings, path};
}

int render_one(const std::string& preset_arg, const RenderOptions& options, bool several, bool quiet) {
  // Settings are checked, and the model loaded, before the run folder is created: a bad
  // preset or model leaves nothing behind.
  std::unique_ptr<FrameBackend> backend;
  Render render = [&] {
    if (!options.resume.empty()) {
      Render resumed = Render::resume(options.resume);
      backend = choose_backend(resumed.settings(), options, quiet);
      return resumed;
    }
    auto [settings, path] = prepare_preset(preset_arg, options, several);
    std::string run_dir = options.run_dir;
    if (several && !run_dir.empty()) run_dir = (fs::path(run_dir) / settings.name).string();
    backend = choose_backend(settings, options, quiet);
    return Render::start(settings, run_dir, path);
  }();
  const RenderSettings& settings = render.settings();
  if (!quiet) {
    std::cerr << "k3anim: run folder " << render.run_dir() << " (" << settings.frames << " frames, " << settings.width << "x"
              << settings.height << ", " << settings.fps << " fps, seed " << settings.seed.seed << ")\n";
    if (render.next_frame() > 0) std::cerr << "k3anim: resuming at frame " << render.next_frame() << "\n";
  }
  k3::cli::ProgressLine line("[" + settings.name + "]", quiet);
  RenderCallbacks callbacks;
  // SIGTERM stops after a whole frame (its journal written), never inside one.
  callbacks.on_progress = [&](const RenderProgress& p) { return line.update(p) && !(p.frame_written && k3::cli::stop_requested()); };
  callbacks.on_message = [&](const std::string& message) {
    line.finish();
    if (!quiet) std::cerr << "k3anim: " << message << "\n";
  };
  RenderResult result;
  try {
    result = render.run(*backend, callbacks);
  } catch (const k3::Cancelled&) {
    line.finish();
    if (!k3::cli::stop_requested()) throw;
    std::cerr << "k3anim: stopped by SIGTERM at frame " << render.next_frame() << "; continue with --resume " << render.run_dir()
              << "\n";
    return k3::cli::kExitStopped;
  } catch (...) {
    line.finish();
    throw;
  }
  line.finish();
  std::cout << (result.video_path.empty() ? result.run_dir : result.video_path) << "\n";
  return k3::cli::kExitOk;
}

int render_as_farm_worker(const RenderOptions& options, bool quiet) {
  if (!options.resume.empty() || !options.run_dir.empty()) throw k3::ConfigError("--run-root takes no --resume or --run-dir");
  if (options.presets.empty()) throw k3::ConfigError("render: expected the batch's presets, got none");
  k3::cli::FarmHooks hooks;
  hooks.prepare = [&](const std::string& preset) { return prepare_preset(preset, options, true); };
  hooks.backend = [&](const RenderSettings& settings) { return choose_backend(settings, options, quiet); };
  return k3::cli::render_farm(options.presets, options.farm, hooks, quiet);
}

k3::cli::RegisterCommand registration("render", [](CLI::App& app) -> std::function<int()> {
  auto options = std::make_shared<RenderOptions>();
  auto* sub = app.add_subcommand("render", "Render presets (JSON files or built-in names) to frames and a video");
  sub->add_option("presets", options->presets, "preset files or built-in preset names (see `k3anim presets`)");
  sub->add_option("--model", options->model, "Kandinsky 3 model folder (diffusers layout); none = preview");
  sub->add_option("-o,--output", options->output, "video file (.mp4, .webm, .gif); with several presets, a folder");
  sub->add_flag("--preview", options->preview, "no model: motion, colour and noise only (the default without a model)");
  sub->add_option("--resume", options->resume, "continue the run in RUN_DIR exactly where it stopped");
  sub->add_option("--run-dir", options->run_dir, "run folder (default runs/<preset name>-<date-time>)");
  sub->add_option("--set", options->overrides, "override a preset key: --set generation.cadence=3 (repeatable)");
  sub->add_option("--frames", options->frames, "frame count (overrides the preset)")->check(CLI::PositiveNumber);
  sub->add_option("--device", options->device, "cpu or cuda[:N] (overrides model.device)");
  sub->add_option("--run-root", options->farm.root,
                  "farm mode: run folders ROOT/<clip name>, leased, shared by the workers of a job array");
  sub->add_option("--shard", options->farm.shard,
                  "farm mode: render clips i with i mod N = I (default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)");
  sub->add_option("--shard-count", options->farm.shard_count, "farm mode: N for JOB_COMPLETION_INDEX (or K3ANIM_SHARD_COUNT)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--lease-timeout", options->farm.lease_timeout_s,
                  "farm mode: seconds without heartbeat after which a worker counts as dead (default K3ANIM_LEASE_TIMEOUT or 120)")
      ->check(CLI::PositiveNumber);
  return [options] {
    bool quiet = k3::cli::global_options().quiet;
    k3::cli::stop_on_sigterm();
    if (!options->farm.root.empty()) return render_as_farm_worker(*options, quiet);
    bool farm_only = !options->farm.shard.empty() || options->farm.shard_count > 0 || options->farm.lease_timeout_s > 0;
    if (farm_only) throw k3::ConfigError("--shard, --shard-count and --lease-timeout need --run-root ROOT");
    if (!options->resume.empty()) {
      if (!options->presets.empty()) throw k3::ConfigError("--resume takes the run folder only, got presets too");
      return k3::cli::run_guarded([&] { return render_one("", *options, false, quiet); });
    }
    if (options->presets.empty()) throw k3::ConfigError("render: expected a preset (file or built-in name), got none");
    bool several = options->presets.size() > 1;
    if (several && !options->run_dir.empty() && !fs::is_directory(options->run_dir)) fs::create_directories(options->run_dir);
    int failed = 0;
    int last_code = k3::cli::kExitOk;
    for (const auto& preset : options->presets) {
      if (k3::cli::stop_requested()) return k3::cli::kExitStopped;
      int code = k3::cli::run_guarded([&] { return render_one(preset, *options, several, quiet); });
      if (code == k3::cli::kExitStopped) return code;
      if (code != k3::cli::kExitOk) ++failed, last_code = code;
    }
    if (!several) return last_code;
    if (failed == 0) return k3::cli::kExitOk;
    std::cerr << "k3anim: " << failed << " of " << options->presets.size() << " renders failed\n";
    return failed == static_cast<int>(options->presets.size()) ? last_code : k3::cli::kExitPartial;
  };
});

}  // namespace
