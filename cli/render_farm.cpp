#include "cli/render_farm.h"

#include "animation/render/farm_status.h"
#include "animation/render/render_loop.h"
#include "animation/render/run_folder.h"
#include "animation/render/run_lease.h"
#include "animation/render/shard.h"
#include "cli/exit_codes.h"
#include "cli/render_progress.h"
#include "cli/stop_signal.h"
#include "base/errors.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>
#include <unistd.h>

namespace k3::cli {

namespace {

namespace fs = std::filesystem;
using namespace k3::anim;

struct Clip {
  std::string name;
  std::string dir;
  PreparedClip prepared;
};

Shard choose_shard(const FarmOptions& options) {
  if (!options.shard.empty()) {
    if (options.shard_count > 0) throw ConfigError("--shard-count goes with JOB_COMPLETION_INDEX, not with --shard I/N");
    return parse_shard(options.shard);
  }
  auto from_env = shard_from_environment([](const char* name) { return std::getenv(name); }, options.shard_count);
  if (from_env) return *from_env;
  if (options.shard_count > 0) throw ConfigError("--shard-count: expected JOB_COMPLETION_INDEX in the environment, got none");
  return Shard{0, 1, "one worker for the whole batch"};
}

std::vector<Clip> prepare_batch(const std::vector<std::string>& presets, const FarmOptions& options, const FarmHooks& hooks) {
  std::vector<Clip> clips;
  std::map<std::string, std::string> seen;
  for (const auto& preset : presets) {
    Clip clip{"", "", hooks.prepare(preset)};
    clip.name = run_folder_name(clip.prepared.settings.name);
    if (seen.count(clip.name))
      throw ConfigError(preset + ": expected a clip name of its own in the batch, got \"" + clip.name + "\" again (as " +
                        seen[clip.name] + "): give the presets distinct \"name\" keys");
    seen[clip.name] = preset;
    clip.dir = (fs::path(options.root) / clip.name).string();
    clips.push_back(std::move(clip));
  }
  return clips;
}

std::string holder_text(const LeaseRecord& lease) {
  return lease.host + ":" + std::to_string(lease.pid) + ", frame " + std::to_string(lease.frame) + ", heartbeat " +
         std::to_string(static_cast<int>(unix_now() - lease.heartbeat)) + " s ago";
}

// Renders (or resumes) one clip while holding its lease. Returns an exit code.
int render_clip(const Clip& clip, RunLease& lease, const FarmHooks& hooks, bool quiet) {
  auto say = [&](const std::string& line) {
    if (!quiet) std::cerr << "k3anim: [" << clip.name << "] " << line << "\n";
  };
  std::shared_ptr<FrameBackend> backend;
  Render render = [&] {
    if (fs::exists(fs::path(clip.dir) / "settings.json")) {
      Render resumed = Render::resume(clip.dir);
      backend = hooks.backend(resumed.settings());
      return resumed;
    }
    backend = hooks.backend(clip.prepared.settings);
    return Render::start(clip.prepared.settings, clip.dir, clip.prepared.source);
  }();
  say(std::string(lease.took_over() ? "took over" : "claimed") + " " + clip.dir + " (lease generation " +
      std::to_string(lease.generation()) + ")" +
      (render.next_frame() > 0 ? ", resuming at frame " + std::to_string(render.next_frame()) : ""));
  // Workers write to job logs: the redrawn progress line only on a terminal, the messages always.
  ProgressLine line("[" + clip.name + "]", quiet || !isatty(STDERR_FILENO));
  RenderCallbacks callbacks;
  callbacks.on_message = [&](const std::string& message) {
    line.finish();
    say(message);
  };
  callbacks.on_progress = [&](const RenderProgress& p) {
    line.update(p);
    if (!p.frame_written) return true;
    lease.frame_written(p.frame);
    return !lease.lost() && !stop_requested();
  };
  try {
    RenderResult result = render.run(*backend, callbacks);
    line.finish();
    write_done_marker(clip.dir, result.frames, result.video_path, lease.generation());
    lease.release("done");
    std::cout << (result.video_path.empty() ? result.run_dir : result.video_path) << std::endl;
    return kExitOk;
  } catch (const Cancelled&) {
    line.finish();
    if (lease.lost()) {
      say("another worker took this clip over (this worker's heartbeat was late): stopped");
      return kExitError;
    }
    if (!stop_requested()) throw;
    lease.release("stopped by SIGTERM at frame " + std::to_string(render.next_frame()));
    say("stopped by SIGTERM after frame " + std::to_string(render.next_frame() - 1) + "; the journal is written");
    return kExitStopped;
  }
}

}  // namespace

double lease_timeout(double option) {
  if (option > 0) return option;
  if (const char* env = std::getenv("K3ANIM_LEASE_TIMEOUT")) {
    char* end = nullptr;
    double value = std::strtod(env, &end);
    if (*env == '\0' || *end != '\0' || !(value > 0))
      throw ConfigError("K3ANIM_LEASE_TIMEOUT: expected seconds > 0, got \"" + std::string(env) + "\"");
    return value;
  }
  return kDefaultLeaseTimeoutS;
}

int render_farm(const std::vector<std::string>& presets, const FarmOptions& options, const FarmHooks& hooks, bool quiet) {
  const double timeout = lease_timeout(options.lease_timeout_s);
  const Shard shard = choose_shard(options);
  std::vector<Clip> clips = prepare_batch(presets, options, hooks);
  std::vector<std::string> names;
  for (const auto& c : clips) names.push_back(c.name);
  record_batch(options.root, names);
  std::vector<int> pending = clips_of_shard(static_cast<int>(clips.size()), shard);
  if (!quiet) {
    std::cerr << "k3anim: shard " << shard.index << "/" << shard.count << " (" << shard.source << "):";
    for (int i : pending) std::cerr << " " << clips[static_cast<std::size_t>(i)].name;
    std::cerr << (pending.empty() ? " no clips" : "") << "\n";
  }
  // Poll for clips that other live workers hold: they finish them, or their lease goes stale.
  const auto poll = std::chrono::duration<double>(std::clamp(timeout / 4.0, 0.05, 5.0));
  std::set<int> waiting_said;
  int failed = 0, last_code = kExitOk;
  while (!pending.empty()) {
    std::vector<int> still;
    for (int i : pending) {
      if (stop_requested()) return kExitStopped;
      const Clip& clip = clips[static_cast<std::size_t>(i)];
      if (is_done(clip.dir)) {
        if (!quiet) std::cerr << "k3anim: [" << clip.name << "] done already, skipped\n";
        continue;
      }
      std::optional<LeaseRecord> holder;
      auto lease = RunLease::acquire(clip.dir, timeout, holder);
      if (!lease) {
        if (!quiet && waiting_said.insert(i).second)
          std::cerr << "k3anim: [" << clip.name << "] held by a live worker (" << holder_text(*holder) << "): waiting\n";
        still.push_back(i);
        continue;
      }
      if (is_done(clip.dir)) {  // finished by the holder whose release we just saw
        lease->release("done already");
        continue;
      }
      int code = run_guarded([&] { return render_clip(clip, *lease, hooks, quiet); });
      if (!lease->released()) lease->release("failed with exit code " + std::to_string(code));
      if (code == kExitStopped) return code;
      if (code != kExitOk) ++failed, last_code = code;
    }
    pending = still;
    if (!pending.empty()) std::this_thread::sleep_for(poll);
  }
  if (failed == 0) return kExitOk;
  std::cerr << "k3anim: " << failed << " clips of shard " << shard.index << "/" << shard.count << " failed\n";
  return last_code;
}

}  // namespace k3::cli
