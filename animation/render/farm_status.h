#pragma once
// A shared output root of several workers: ROOT/batch.json (the clips, in batch order),
// ROOT/<clip>/ (a run folder with its lease, see run_lease.h) and ROOT/<clip>/done.json, written
// only after the last frame and the video are on disk, so a half-written clip is never done.
#include "animation/render/run_lease.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace k3::anim {

enum class ClipState { kNotStarted, kRunning, kStale, kStopped, kDone };
const char* clip_state_name(ClipState state);  // "not started", "running", "stale", "stopped", "done"

struct ClipStatus {
  std::string name;
  std::string run_dir;
  ClipState state = ClipState::kNotStarted;
  int frames_done = 0;    // frames the journal holds
  int total_frames = 0;   // from settings.json (0 before the run folder has one)
  std::optional<LeaseRecord> lease;
  double heartbeat_age_s = 0;
  std::string video;      // done clips
};

// Records the batch's clip names in ROOT/batch.json, or checks that the one there is the same
// (every worker of an array writes it). Throws k3::ConfigError when ROOT holds another batch.
void record_batch(const std::string& root, const std::vector<std::string>& clips);

// Marks a clip finished: its frames and video are complete.
void write_done_marker(const std::string& run_dir, int frames, const std::string& video, int generation);
bool is_done(const std::string& run_dir);

ClipStatus clip_status(const std::string& run_dir, const std::string& name, double now, double lease_timeout_s);
// Every clip of ROOT/batch.json in batch order, then any other run folder under ROOT.
// Throws k3::FileError when ROOT is not a folder.
std::vector<ClipStatus> farm_status(const std::string& root, double lease_timeout_s);
nlohmann::json status_to_json(const std::vector<ClipStatus>& clips);

}  // namespace k3::anim
