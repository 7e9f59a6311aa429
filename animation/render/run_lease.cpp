// Lease files after Kubernetes' coordination.k8s.io Lease (holderIdentity, acquireTime,
// renewTime, leaseDurationSeconds, leaseTransitions = our generation), kept on shared storage.
#include "animation/render/run_lease.h"

#include "animation/render/run_folder.h"
#include "base/errors.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace k3::anim {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string lease_dir(const std::string& run_dir) { return run_dir + "/lease"; }
std::string history_path(const std::string& run_dir) { return run_dir + "/leases.log"; }

std::string generation_path(const std::string& run_dir, int generation) {
  char name[32];
  std::snprintf(name, sizeof name, "/%06d.json", generation);
  return lease_dir(run_dir) + name;
}

// Generation of a lease file name ("000042.json" -> 42), 0 for anything else (temporaries).
int generation_of(const std::string& name) {
  if (name.size() != 11 || name.substr(6) != ".json") return 0;
  for (int i = 0; i < 6; ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[static_cast<std::size_t>(i)]))) return 0;
  return std::stoi(name.substr(0, 6));
}

int highest_generation(const std::string& run_dir) {
  int highest = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(lease_dir(run_dir), ec))
    highest = std::max(highest, generation_of(entry.path().filename().string()));
  return highest;
}

json to_json(const LeaseRecord& r) {
  return {{"generation", r.generation}, {"host", r.host},           {"pid", r.pid},
          {"acquired", r.acquired},     {"heartbeat", r.heartbeat}, {"frame", r.frame},
          {"released", r.released},     {"reason", r.reason}};
}

LeaseRecord record_from_json(const json& j) {
  LeaseRecord r;
  r.generation = j.at("generation").get<int>();
  r.host = j.at("host").get<std::string>();
  r.pid = j.at("pid").get<long>();
  r.acquired = j.at("acquired").get<double>();
  r.heartbeat = j.at("heartbeat").get<double>();
  r.frame = j.at("frame").get<int>();
  r.released = j.at("released").get<bool>();
  r.reason = j.at("reason").get<std::string>();
  return r;
}

void append_event(const std::string& run_dir, const LeaseEvent& e) {
  json line = {{"time", e.time}, {"event", e.event}, {"generation", e.generation}, {"host", e.host},
               {"pid", e.pid},   {"frame", e.frame}, {"detail", e.detail}};
  std::string text = line.dump() + "\n";
  // One write(2) with O_APPEND: lines of concurrent writers never interleave on a local disk.
  int fd = ::open(history_path(run_dir).c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw FileError("cannot append to " + history_path(run_dir) + ": " + std::strerror(errno));
  ssize_t written = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size())) throw FileError("cannot append to " + history_path(run_dir));
}

LeaseEvent event_for(const LeaseRecord& r, const std::string& what, int frame, const std::string& detail) {
  return LeaseEvent{unix_now(), what, r.generation, r.host, r.pid, frame, detail};
}

}  // namespace

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string this_host() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

std::optional<LeaseRecord> read_current_lease(const std::string& run_dir) {
  int generation = highest_generation(run_dir);
  if (generation == 0) return std::nullopt;
  std::string path = generation_path(run_dir, generation);
  std::ifstream in(path);
  if (!in) throw FileError("cannot read lease " + path);
  try {
    return record_from_json(json::parse(in));
  } catch (const json::exception& e) {
    throw FileError(path + ": expected a k3anim lease, got: " + e.what());
  }
}

LeaseState lease_state(const std::optional<LeaseRecord>& lease, double now, double timeout_s) {
  if (!lease) return LeaseState::kNone;
  if (lease->released) return LeaseState::kReleased;
  return now - lease->heartbeat > timeout_s ? LeaseState::kStale : LeaseState::kLive;
}

std::vector<LeaseEvent> read_lease_history(const std::string& run_dir) {
  std::vector<LeaseEvent> events;
  std::ifstream in(history_path(run_dir));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    try {
      json j = json::parse(line);
      events.push_back(LeaseEvent{j.at("time").get<double>(), j.at("event").get<std::string>(), j.at("generation").get<int>(),
                                  j.at("host").get<std::string>(), j.at("pid").get<long>(), j.at("frame").get<int>(),
                                  j.at("detail").get<std::string>()});
    } catch (const json::exception& e) {
      throw FileError(history_path(run_dir) + " line " + std::to_string(number) + ": expected a lease event, got: " + e.what());
    }
  }
  return events;
}

struct RunLease::Heartbeat {
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  std::thread thread;
};

RunLease::RunLease(std::string run_dir, double timeout_s, LeaseRecord record, bool took_over)
    : run_dir_(std::move(run_dir)),
      timeout_s_(timeout_s),
      record_(std::move(record)),
      generation_(record_.generation),
      took_over_(took_over),
      heartbeat_(std::make_unique<Heartbeat>()) {
  heartbeat_->thread = std::thread([this] { heartbeat_loop(); });
}

RunLease::~RunLease() {
  {
    std::lock_guard<std::mutex> lock(heartbeat_->mutex);
    heartbeat_->stop = true;
  }
  heartbeat_->wake.notify_all();
  if (heartbeat_->thread.joinable()) heartbeat_->thread.join();
}

std::unique_ptr<RunLease> RunLease::acquire(const std::string& run_dir, double timeout_s, std::optional<LeaseRecord>& holder) {
  std::error_code ec;
  fs::create_directories(lease_dir(run_dir), ec);
  if (ec) throw FileError("cannot create " + lease_dir(run_dir) + ": " + ec.message());
  const std::string host = this_host();
  const long pid = static_cast<long>(getpid());
  // A lost race means another worker claimed the next generation: its lease is live now.
  for (int attempt = 0; attempt < 3; ++attempt) {
    holder = read_current_lease(run_dir);
    LeaseState state = lease_state(holder, unix_now(), timeout_s);
    if (state == LeaseState::kLive) return nullptr;
    LeaseRecord record;
    record.generation = holder ? holder->generation + 1 : 1;
    record.host = host;
    record.pid = pid;
    record.acquired = record.heartbeat = unix_now();
    std::string temp = lease_dir(run_dir) + "/.claim-" + host + "-" + std::to_string(pid) + ".tmp";
    {
      std::ofstream out(temp, std::ios::trunc);
      out << to_json(record).dump(2) << "\n";
      if (!out.flush()) throw FileError("cannot write " + temp);
    }
    int linked = ::link(temp.c_str(), generation_path(run_dir, record.generation).c_str());
    int link_errno = errno;
    ::unlink(temp.c_str());
    if (linked != 0 && link_errno != EEXIST)
      throw FileError("cannot create lease " + generation_path(run_dir, record.generation) + ": " + std::strerror(link_errno));
    if (linked != 0) continue;
    bool took_over = state == LeaseState::kStale || state == LeaseState::kReleased;
    std::string detail;
    if (holder)
      detail = (state == LeaseState::kStale ? "stale lease of " : "released lease of ") + holder->host + ":" +
               std::to_string(holder->pid) + " (generation " + std::to_string(holder->generation) + ", heartbeat " +
               std::to_string(unix_now() - holder->heartbeat) + " s ago" +
               (holder->reason.empty() ? "" : ", " + holder->reason) + ")";
    append_event(run_dir, event_for(record, took_over ? "takeover" : "acquire", -1, detail));
    return std::unique_ptr<RunLease>(new RunLease(run_dir, timeout_s, record, took_over));
  }
  holder = read_current_lease(run_dir);
  return nullptr;
}

void RunLease::write_record() {
  write_file_atomically(generation_path(run_dir_, generation_), to_json(record_).dump(2) + "\n");
}

void RunLease::heartbeat_loop() {
  // Six beats per timeout: a holder is declared dead only after several missed renewals.
  const auto period = std::chrono::duration<double>(std::max(0.05, timeout_s_ / 6.0));
  std::unique_lock<std::mutex> lock(heartbeat_->mutex);
  while (!heartbeat_->wake.wait_for(lock, period, [this] { return heartbeat_->stop; })) {
    if (highest_generation(run_dir_) > generation_) {
      if (!lost_.exchange(true)) append_event(run_dir_, event_for(record_, "lost", frame_.load(), "a newer generation exists"));
      return;
    }
    record_.heartbeat = unix_now();
    record_.frame = frame_.load();
    try {
      write_record();
    } catch (const Error&) {
      // Shared storage hiccup: the next beat tries again; a long outage lets the lease go stale.
    }
  }
}

void RunLease::frame_written(int frame) {
  frame_.store(frame + 1);
  if (highest_generation(run_dir_) > generation_) {
    std::lock_guard<std::mutex> lock(heartbeat_->mutex);
    if (!lost_.exchange(true)) append_event(run_dir_, event_for(record_, "lost", frame, "a newer generation exists"));
    return;
  }
  append_event(run_dir_, event_for(record_, "frame", frame, ""));
}

void RunLease::release(const std::string& reason) {
  if (released_) return;
  released_ = true;
  {
    std::lock_guard<std::mutex> lock(heartbeat_->mutex);
    heartbeat_->stop = true;
  }
  heartbeat_->wake.notify_all();
  if (heartbeat_->thread.joinable()) heartbeat_->thread.join();
  if (lost_.load()) return;  // the clip belongs to another worker now
  record_.released = true;
  record_.reason = reason;
  record_.heartbeat = unix_now();
  record_.frame = frame_.load();
  write_record();
  append_event(run_dir_, event_for(record_, "release", record_.frame, reason));
}

}  // namespace k3::anim
