#pragma once
// Which clips of a batch one worker of a job array renders: clip i belongs to shard i mod N.
// The split depends only on the batch's order and N, so every worker (and every retry of one)
// computes the same answer without talking to the others.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace k3::anim {

struct Shard {
  int index = 0;
  int count = 1;
  std::string source;  // where it came from, for messages: "--shard", "SLURM_ARRAY_TASK_ID", ...
};

// "I/N" with 0 <= I < N. Throws k3::ConfigError naming `what`.
Shard parse_shard(const std::string& text, const std::string& what = "--shard");

// The shard a job array's environment gives, std::nullopt outside one. `lookup` reads a variable
// (nullptr when unset). Slurm: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or MIN/MAX/STEP
// when COUNT is absent. Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX with `count` (the
// --shard-count option) or K3ANIM_SHARD_COUNT. Throws k3::ConfigError on inconsistent values.
std::optional<Shard> shard_from_environment(const std::function<const char*(const char*)>& lookup, int count = 0);

// Indices of the clips (0-based, batch order) that `shard` renders.
std::vector<int> clips_of_shard(int clip_count, const Shard& shard);

}  // namespace k3::anim
