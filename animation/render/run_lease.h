#pragma once
// A claim on one run folder that survives crashes, for several workers sharing one output root
// (Slurm job arrays, Kubernetes Indexed Jobs). Follows the lease idea of Kubernetes'
// coordination.k8s.io Lease (holder, acquire time, renew time, duration), kept in files.
//
// Layout inside the run folder:
//   lease/000001.json, 000002.json ...  one file per generation; the highest is the current one.
//     A generation is created with link(2) from a complete temporary file, so exactly one of
//     several racing workers creates it, and no reader ever sees half a lease (link is the
//     exclusive-create that also holds on NFS). Only its holder rewrites it (heartbeat, by
//     rename), so the lease file never needs a lock.
//   leases.log  the history: one JSON line per event (acquire, takeover, frame, release, lost),
//     appended with O_APPEND, never rewritten.
// A lease is stale when its heartbeat is older than the timeout; a stale or released lease is
// taken over by creating the next generation. A holder that finds a newer generation has lost
// its claim and must stop (lost()).
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace k3::anim {

// Default lease timeout: a heartbeat older than this marks the holder dead.
constexpr double kDefaultLeaseTimeoutS = 120.0;

struct LeaseRecord {
  int generation = 0;
  std::string host;
  long pid = 0;
  double acquired = 0;   // unix seconds
  double heartbeat = 0;  // unix seconds of the last renewal
  int frame = -1;        // the frame the holder renders (-1 before the first)
  bool released = false;
  std::string reason;    // why it was released: done, stopped, failed: ...
};

enum class LeaseState { kNone, kLive, kStale, kReleased };

double unix_now();
std::string this_host();
// The current lease of `run_dir` (highest generation), std::nullopt when there is none.
std::optional<LeaseRecord> read_current_lease(const std::string& run_dir);
LeaseState lease_state(const std::optional<LeaseRecord>& lease, double now, double timeout_s);

// One line of leases.log.
struct LeaseEvent {
  double time = 0;
  std::string event;  // acquire, takeover, frame, release, lost
  int generation = 0;
  std::string host;
  long pid = 0;
  int frame = -1;
  std::string detail;
};
std::vector<LeaseEvent> read_lease_history(const std::string& run_dir);  // throws k3::FileError

class RunLease {
 public:
  // Claims `run_dir` (created when missing) unless another worker holds a live lease: then
  // returns nullptr and `holder` says who. `timeout_s` also sets the heartbeat period
  // (a sixth of it). Throws k3::FileError when the folder cannot be written.
  static std::unique_ptr<RunLease> acquire(const std::string& run_dir, double timeout_s, std::optional<LeaseRecord>& holder);
  ~RunLease();  // stops the heartbeat; an unreleased lease is left to go stale (like a crash)
  RunLease(const RunLease&) = delete;
  RunLease& operator=(const RunLease&) = delete;

  int generation() const { return generation_; }
  bool took_over() const { return took_over_; }
  // Records that `frame` is on disk with its journal (history line) and that the next is under way.
  void frame_written(int frame);
  // True once a newer generation exists: another worker took this clip over.
  bool lost() const { return lost_.load(); }
  // Ends the claim: the lease file says released with `reason`, the history gets a line.
  void release(const std::string& reason);
  bool released() const { return released_; }

 private:
  RunLease(std::string run_dir, double timeout_s, LeaseRecord record, bool took_over);
  void write_record();
  void heartbeat_loop();
  struct Heartbeat;
  std::string run_dir_;
  double timeout_s_;
  LeaseRecord record_;
  int generation_;
  bool took_over_;
  std::atomic<int> frame_{-1};
  std::atomic<bool> lost_{false};
  bool released_ = false;
  std::unique_ptr<Heartbeat> heartbeat_;
};

}  // namespace k3::anim
