// `k3anim render PRESET... [--model DIR] [-o out.mp4] [--preview] [--resume RUN_DIR]
//  [--set key=value ...] [--frames N] [--run-dir DIR]`: renders presets one after another, each
// isolated (one failure does not stop the rest; exit code kExitPartial says some failed).
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
#include "cli/resume_arguments.h"
#include "cli/stop_signal.h"
#include "depth/depth_estimator.h"
#include "base/bounded_json.h"
#include "base/errors.h"
#include "src/public/generator.h"
#include "base/byte_size.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

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
  std::string dtype;
  std::string offload;
  std::string memory_limit;
  std::vector<std::string> overrides;
  int frames = 0;
  bool preview = false;
  k3::cli::FarmOptions farm;
};

nlohmann::json read_preset_json(const std::string& path) {
  return k3::read_bounded_json_file(path);
}

RenderSettings load_motion_preset(const std::string& name) {
  std::string path = find_preset(name);
  return parse_render_settings(read_preset_json(path), path, fs::path(path).parent_path().string());
}

// Presets of a batch that use the same model, device, dtype, variant, sampler and offload share
// one backend: the model is loaded once per batch.
class BackendPool {
 public:
  BackendPool(const RenderOptions& options, bool quiet) : options_(options), quiet_(quiet) {}

  std::shared_ptr<FrameBackend> get(const RenderSettings& settings) {
    if (settings.model.dir.empty()) {
      if (!quiet_)
        std::cerr << "k3anim: preview backend: "
                  << (options_.preview ? "--preview given" : "no model given (--model DIR or model.dir)")
                  << "; motion, colour and noise only, no diffusion\n";
      if (!preview_) preview_ = make_preview_backend();
      return preview_;
    }
    const auto g = generator_options(settings);
    std::string key = g.model_dir + "|" + g.device + "|" + g.dtype + "|" + g.variant + "|" + g.sampler + "|" + g.offload;
    for (const auto& extra : g.extra_components) key += "|" + extra.name + ":" + (extra.weight_files.empty() ? "" : extra.weight_files.front());
    auto& backend = backends_[key];
    if (!backend) {
      if (!quiet_) std::cerr << "k3anim: Kandinsky 3 from " << g.model_dir << " (" << g.device << ", " << g.dtype << ")\n";
      backend = make_kandinsky_backend(g);
    }
    return backend;
  }

  // Encodes every prompt of the batch's clips with the text encoder, once per model, before any
  // UNet is loaded.
  void encode_prompts(const std::vector<std::pair<std::shared_ptr<FrameBackend>, std::vector<std::string>>>& needs) {
    std::map<FrameBackend*, std::vector<std::string>> by_backend;
    for (const auto& [backend, prompts] : needs) {
      auto& all = by_backend[backend.get()];
      all.insert(all.end(), prompts.begin(), prompts.end());
    }
    for (auto& [backend, prompts] : by_backend) backend->prepare(prompts, "");
  }

 private:
  k3::GeneratorOptions generator_options(const RenderSettings& settings) const {
    k3::GeneratorOptions g;
    g.model_dir = settings.model.dir;
    g.device = settings.model.device;
    g.dtype = options_.dtype.empty() ? settings.model.dtype : options_.dtype;
    g.variant = settings.model.variant;
    g.sampler = settings.model.sampler;
    g.offload = options_.offload.empty() ? settings.model.offload : options_.offload;
    g.plan_width = settings.width;
    g.plan_height = settings.height;
    if (!options_.memory_limit.empty()) g.memory_limit = k3::parse_bytes(options_.memory_limit);
    const auto& motion = settings.motion;
    if (settings.animation_mode == AnimationMode::ThreeD && motion.depth_source != DepthSource::None &&
        motion.depth_source != DepthSource::Images && !motion.depth_path.empty())
      g.extra_components.push_back({"depth " + setting_name(motion.depth_source), k3::depth::depth_weight_files(motion.depth_path)});
    const bool quiet = quiet_;
    g.on_message = [quiet](const std::string& message) {
      if (!quiet) std::cerr << "k3anim: " << message << "\n";
    };
    return g;
  }

  const RenderOptions& options_;
  bool quiet_;
  std::shared_ptr<FrameBackend> preview_;
  std::map<std::string, std::shared_ptr<FrameBackend>> backends_;
};

// One clip of a batch: checked, its prompts known, its run folder made only once every prompt of
// the batch is encoded (so a broken model or text encoder leaves no folder behind).
struct Job {
  std::unique_ptr<Render> render;   // set at once on --resume, else by start()
  std::function<Render()> start;
  std::vector<std::string> prompts;
  std::shared_ptr<FrameBackend> backend;
};

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

// Settings are checked, and the model folder and memory plan checked, before the run folder is
// created: a bad preset or model leaves nothing behind.
Job prepare_one(const std::string& preset_arg, const RenderOptions& options, bool several, BackendPool& pool) {
  Job job;
  if (!options.resume.empty()) {
    job.render = std::make_unique<Render>(Render::resume(options.resume));
    k3::cli::check_resume_arguments(job.render->settings(),
                                    {options.model, options.device, options.preview,
                                     !options.overrides.empty() || options.frames > 0 || !options.output.empty() ||
                                         !options.run_dir.empty()},
                                    options.resume);
    // Another dtype would change the frames; offloading and memory limits change no value.
    if (!options.dtype.empty() && options.dtype != job.render->settings().model.dtype)
      throw k3::ConfigError("--dtype " + options.dtype + ": expected the run's recorded dtype (" +
                            job.render->settings().model.dtype + ") on --resume " + options.resume + ", got another");
    job.backend = pool.get(job.render->settings());
    job.prompts = job.render->pending_prompts();
    return job;
  }
  auto [settings, path] = prepare_preset(preset_arg, options, several);
  std::string run_dir = options.run_dir;
  if (several && !run_dir.empty()) run_dir = (fs::path(run_dir) / settings.name).string();
  job.prompts = render_prompts(settings, path);
  job.backend = pool.get(settings);
  job.start = [settings, run_dir, path] { return Render::start(settings, run_dir, path); };
  return job;
}

int run_one(Job& job, bool quiet) {
  if (!job.render) job.render = std::make_unique<Render>(job.start());
  Render& render = *job.render;
  const RenderSettings& settings = render.settings();
  if (!quiet) {
    std::cerr << "k3anim: run folder " << render.run_dir() << " (" << settings.frames << " frames, " << settings.width << "x"
              << settings.height << ", " << settings.fps << " fps, seed " << settings.seed.seed << ")\n";
    if (render.next_frame() > 0) std::cerr << "k3anim: resuming at frame " << render.next_frame() << "\n";
  }
  k3::cli::ProgressLine line("[" + settings.name + "]", quiet);
  RenderCallbacks callbacks;
  callbacks.on_progress = [&](const RenderProgress& p) { return line.update(p); };
  callbacks.on_message = [&](const std::string& message) {
    line.finish();
    if (!quiet || message.rfind("warning:", 0) == 0) std::cerr << "k3anim: " << message << "\n";  // -q keeps warnings
  };
  RenderResult result;
  try {
    result = render.run(*job.backend, callbacks);
  } catch (const k3::Cancelled&) {
    line.finish();
    if (!k3::cli::stop_requested()) throw;
    std::cerr << "k3anim: stopped by SIGTERM at frame " << render.next_frame() << "; continue with --resume "
              << render.run_dir() << "\n";
    return k3::cli::kExitStopped;
  } catch (...) {
    line.finish();
    throw;
  }
  line.finish();
  std::cout << (result.video_path.empty() ? result.run_dir : result.video_path) << "\n";
  return k3::cli::kExitOk;
}

// Prepares every clip, encodes all their prompts (the text encoder runs once, before any UNet is
// loaded), then renders them one after another; each clip is isolated (one failure does not
// stop the rest). Returns the exit code.
int render_batch(const std::vector<std::string>& presets, const RenderOptions& options, bool quiet) {
  const bool several = presets.size() > 1;
  BackendPool pool(options, quiet);
  std::vector<Job> jobs;
  int failed = 0;
  int last_code = k3::cli::kExitOk;
  auto count = [&](int code) {
    if (code != k3::cli::kExitOk) ++failed, last_code = code;
  };
  for (const auto& preset : presets)
    count(k3::cli::run_guarded([&] {
      jobs.push_back(prepare_one(preset, options, several, pool));
      return k3::cli::kExitOk;
    }));
  std::vector<std::pair<std::shared_ptr<FrameBackend>, std::vector<std::string>>> needs;
  for (const auto& job : jobs) needs.emplace_back(job.backend, job.prompts);
  const int encode_code = k3::cli::run_guarded([&] {
    pool.encode_prompts(needs);
    return k3::cli::kExitOk;
  });
  if (encode_code != k3::cli::kExitOk) return encode_code;
  for (auto& job : jobs) {
    if (k3::cli::stop_requested()) return k3::cli::kExitStopped;
    const int code = k3::cli::run_guarded([&] { return run_one(job, quiet); });
    if (code == k3::cli::kExitStopped) return code;
    count(code);
  }
  if (!several) return last_code;
  if (failed == 0) return k3::cli::kExitOk;
  std::cerr << "k3anim: " << failed << " of " << presets.size() << " renders failed\n";
  return failed == static_cast<int>(presets.size()) ? last_code : k3::cli::kExitPartial;
}

// Farm mode (--run-root): this worker's shard of the batch, each clip under a lease.
int render_as_farm_worker(const RenderOptions& options, bool quiet) {
  if (!options.resume.empty() || !options.run_dir.empty()) throw k3::ConfigError("--run-root takes no --resume or --run-dir");
  if (options.presets.empty()) throw k3::ConfigError("render: expected the batch's presets, got none");
  BackendPool pool(options, quiet);
  k3::cli::FarmHooks hooks;
  hooks.prepare = [&](const std::string& preset) { return prepare_preset(preset, options, true); };
  hooks.backend = [&](const RenderSettings& settings) { return pool.get(settings); };
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
  sub->add_option("--dtype", options->dtype, "auto, fp32, bf16 or fp16 for UNet and MoVQ (overrides model.dtype)");
  sub->add_option("--offload", options->offload, "CUDA: auto, none, model or sequential (overrides model.offload)");
  sub->add_option("--memory-limit", options->memory_limit, "plan within this much memory, e.g. 16G (default: what is free)");
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
      return render_batch({""}, *options, quiet);
    }
    if (options->presets.empty()) throw k3::ConfigError("render: expected a preset (file or built-in name), got none");
    bool several = options->presets.size() > 1;
    if (several && !options->run_dir.empty() && !fs::is_directory(options->run_dir)) fs::create_directories(options->run_dir);
    return render_batch(options->presets, *options, quiet);
  };
});

}  // namespace
