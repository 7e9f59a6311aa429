// Job-array indices as Slurm (sbatch(1), OUTPUT ENVIRONMENT VARIABLES) and Kubernetes
// (Indexed Jobs: the JOB_COMPLETION_INDEX variable) set them.
#include "animation/render/shard.h"

#include "base/errors.h"

#include <cerrno>
#include <cstdlib>

namespace k3::anim {

namespace {

long parse_count(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < 0 || value > 1000000)
    throw ConfigError(what + ": expected a whole number, got \"" + text + "\"");
  return value;
}

long env_number(const std::function<const char*(const char*)>& lookup, const char* name, long fallback) {
  const char* value = lookup(name);
  return value ? parse_count(value, name) : fallback;
}

Shard checked(long index, long count, const std::string& source) {
  if (count < 1) throw ConfigError(source + ": expected a shard count of at least 1, got " + std::to_string(count));
  if (index < 0 || index >= count)
    throw ConfigError(source + ": expected a shard index in 0.." + std::to_string(count - 1) + ", got " + std::to_string(index));
  return Shard{static_cast<int>(index), static_cast<int>(count), source};
}

}  // namespace

Shard parse_shard(const std::string& text, const std::string& what) {
  auto slash = text.find('/');
  if (slash == std::string::npos) throw ConfigError(what + ": expected I/N (e.g. 0/4), got \"" + text + "\"");
  return checked(parse_count(text.substr(0, slash), what), parse_count(text.substr(slash + 1), what), what);
}

std::optional<Shard> shard_from_environment(const std::function<const char*(const char*)>& lookup, int count) {
  if (const char* id = lookup("SLURM_ARRAY_TASK_ID")) {
    long task = parse_count(id, "SLURM_ARRAY_TASK_ID");
    long min = env_number(lookup, "SLURM_ARRAY_TASK_MIN", 0);
    long step = std::max(1L, env_number(lookup, "SLURM_ARRAY_TASK_STEP", 1));
    long tasks = env_number(lookup, "SLURM_ARRAY_TASK_COUNT", 0);
    if (tasks == 0) {
      if (!lookup("SLURM_ARRAY_TASK_MAX"))
        throw ConfigError("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX: give --shard I/N");
      tasks = (env_number(lookup, "SLURM_ARRAY_TASK_MAX", 0) - min) / step + 1;
    }
    if (count > 0) tasks = count;
    if ((task - min) % step != 0)
      throw ConfigError("SLURM_ARRAY_TASK_ID " + std::to_string(task) + " is not on the array's range (min " +
                        std::to_string(min) + ", step " + std::to_string(step) + "): use --array=A-B[:S], or --shard I/N");
    return checked((task - min) / step, tasks, "SLURM_ARRAY_TASK_ID");
  }
  if (const char* index = lookup("JOB_COMPLETION_INDEX")) {
    long tasks = count > 0 ? count : env_number(lookup, "K3ANIM_SHARD_COUNT", 0);
    if (tasks == 0)
      throw ConfigError("JOB_COMPLETION_INDEX is set but the shard count is not: give --shard-count N or K3ANIM_SHARD_COUNT "
                        "(the Job's completions)");
    return checked(parse_count(index, "JOB_COMPLETION_INDEX"), tasks, "JOB_COMPLETION_INDEX");
  }
  return std::nullopt;
}

std::vector<int> clips_of_shard(int clip_count, const Shard& shard) {
  std::vector<int> clips;
  for (int i = shard.index; i < clip_count; i += shard.count) clips.push_back(i);
  return clips;
}

}  // namespace k3::anim
