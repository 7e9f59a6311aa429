#include "animation/render/farm_status.h"
#include "animation/render/run_state.h"
#include "animation/render/run_folder.h"
#include "base/errors.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

namespace k3::anim {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::optional<json> read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw FileError(path + ": expected JSON, got: " + e.what());
  }
}

int int_at(const std::optional<json>& j, const char* key) {
  return j && j->contains(key) && (*j)[key].is_number_integer() ? (*j)[key].get<int>() : 0;
}

}  // namespace

const char* clip_state_name(ClipState state) {
  switch (state) {
    case ClipState::kNotStarted: return "not started";
    case ClipState::kRunning: return "running";
    case ClipState::kStale: return "stale";
    case ClipState::kStopped: return "stopped";
    case ClipState::kDone: return "done";
  }
  return "?";
}

void record_batch(const std::string& root, const std::vector<std::string>& clips) {
  std::string path = root + "/batch.json";
  json batch = {{"clips", clips}};
  if (auto existing = read_json(path)) {
    if (existing->value("clips", json::array()) != batch["clips"])
      throw ConfigError(path + ": expected the batch " + batch["clips"].dump() + ", got another one " +
                        existing->value("clips", json::array()).dump() + " (use another --run-root for another batch)");
    return;
  }
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw FileError("cannot create run root " + root + ": " + ec.message());
  // Workers starting together write the same content; the rename makes each write whole.
  write_file_atomically(path, batch.dump(2) + "\n");
}

void write_done_marker(const std::string& run_dir, int frames, const std::string& video, int generation) {
  json done = {{"frames", frames},  {"video", video},      {"host", this_host()},
               {"pid", ::getpid()}, {"generation", generation}, {"time", unix_now()}};
  write_file_atomically(run_dir + "/done.json", done.dump(2) + "\n");
}

bool is_done(const std::string& run_dir) { return fs::is_regular_file(run_dir + "/done.json"); }

ClipStatus clip_status(const std::string& run_dir, const std::string& name, double now, double lease_timeout_s) {
  ClipStatus status;
  status.name = name;
  status.run_dir = run_dir;
  status.total_frames = int_at(read_json(run_dir + "/settings.json"), "frames");
  // The journal's next_frame is the number of frames on disk with their state.
  status.frames_done = journal_frames_done(run_dir);
  status.lease = read_current_lease(run_dir);
  if (status.lease) status.heartbeat_age_s = std::max(0.0, now - status.lease->heartbeat);
  if (auto done = read_json(run_dir + "/done.json")) {
    status.state = ClipState::kDone;
    status.video = done->value("video", "");
    return status;
  }
  switch (lease_state(status.lease, now, lease_timeout_s)) {
    case LeaseState::kNone: status.state = ClipState::kNotStarted; break;
    case LeaseState::kLive: status.state = ClipState::kRunning; break;
    case LeaseState::kStale: status.state = ClipState::kStale; break;
    case LeaseState::kReleased: status.state = ClipState::kStopped; break;
  }
  return status;
}

std::vector<ClipStatus> farm_status(const std::string& root, double lease_timeout_s) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw FileError("expected a run root folder, got " + root);
  std::vector<std::string> names;
  if (auto batch = read_json(root + "/batch.json"))
    for (const auto& clip : batch->value("clips", json::array())) names.push_back(clip.get<std::string>());
  std::set<std::string> listed(names.begin(), names.end());
  std::vector<std::string> others;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::string name = entry.path().filename().string();
    bool is_run = fs::exists(entry.path() / "lease", ec) || fs::exists(entry.path() / "settings.json", ec);
    if (entry.is_directory(ec) && is_run && !listed.count(name)) others.push_back(name);
  }
  std::sort(others.begin(), others.end());
  names.insert(names.end(), others.begin(), others.end());
  double now = unix_now();
  std::vector<ClipStatus> clips;
  for (const auto& name : names) clips.push_back(clip_status(root + "/" + name, name, now, lease_timeout_s));
  return clips;
}

json status_to_json(const std::vector<ClipStatus>& clips) {
  json out = json::array();
  for (const auto& c : clips) {
    json j = {{"name", c.name},
              {"run_dir", c.run_dir},
              {"state", clip_state_name(c.state)},
              {"frames_done", c.frames_done},
              {"total_frames", c.total_frames}};
    if (c.lease) {
      j["host"] = c.lease->host;
      j["pid"] = c.lease->pid;
      j["generation"] = c.lease->generation;
      j["frame"] = c.lease->frame;
      j["heartbeat_age_s"] = c.heartbeat_age_s;
      if (c.lease->released) j["reason"] = c.lease->reason;
    }
    if (!c.video.empty()) j["video"] = c.video;
    out.push_back(j);
  }
  return out;
}

}  // namespace k3::anim
