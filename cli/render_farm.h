#pragma once
// `k3anim render --run-root ROOT [--shard I/N]`: one worker of a job array. Renders its shard's
// clips into ROOT/<clip name>/, each under a lease (animation/render/run_lease.h): done clips are
// skipped, a clip another live worker holds is waited for, a stale or stopped one is resumed
// from its journal. SIGTERM stops after the current frame with kExitStopped.
#include "animation/render/frame_backend.h"
#include "animation/render/render_settings.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace k3::cli {

struct FarmOptions {
  std::string root;
  std::string shard;          // "I/N", "" = from the job array's environment, else every clip
  int shard_count = 0;        // for JOB_COMPLETION_INDEX (else K3ANIM_SHARD_COUNT)
  double lease_timeout_s = 0; // 0 = K3ANIM_LEASE_TIMEOUT, else kDefaultLeaseTimeoutS
};

struct PreparedClip {
  k3::anim::RenderSettings settings;  // validated, story expanded
  std::string source;                 // the preset file
};

struct FarmHooks {
  std::function<PreparedClip(const std::string& preset)> prepare;
  // May return the same backend for clips of one model, device and dtype (loaded once).
  std::function<std::shared_ptr<k3::anim::FrameBackend>(const k3::anim::RenderSettings&)> backend;
};

int render_farm(const std::vector<std::string>& presets, const FarmOptions& options, const FarmHooks& hooks, bool quiet);

// The lease timeout: the option when > 0, else $K3ANIM_LEASE_TIMEOUT, else the default.
double lease_timeout(double option);

}  // namespace k3::cli
