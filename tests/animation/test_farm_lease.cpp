// The pieces of the render farm: job-array indices to shards, and run-folder leases (exclusive
// claims, stale takeover, released takeover, a holder that notices it lost its claim).
#include "animation/render/farm_status.h"
#include "animation/render/run_lease.h"
#include "animation/render/shard.h"
#include "base/errors.h"
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>
#include <unistd.h>

using namespace k3::anim;

namespace {

std::function<const char*(const char*)> env(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

TEST_CASE("shards: I/N, Slurm and Kubernetes array indices", "[unit][farm]") {
  Shard s = parse_shard("2/5");
  CHECK(s.index == 2);
  CHECK(s.count == 5);
  CHECK_THROWS_AS(parse_shard("5/5"), k3::ConfigError);
  CHECK_THROWS_AS(parse_shard("1"), k3::ConfigError);
  CHECK_THROWS_AS(parse_shard("a/2"), k3::ConfigError);
  CHECK_THROWS_AS(parse_shard("0/0"), k3::ConfigError);

  CHECK_FALSE(shard_from_environment(env({})));
  auto slurm = shard_from_environment(env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  REQUIRE(slurm);
  CHECK(slurm->index == 3);
  CHECK(slurm->count == 4);
  // --array=1-3: ids 1..3, index = id - min
  auto ranged = shard_from_environment(
      env({{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_MIN", "1"}, {"SLURM_ARRAY_TASK_MAX", "3"}}));
  REQUIRE(ranged);
  CHECK(ranged->index == 2);
  CHECK(ranged->count == 3);
  // --array=0-10:5: ids 0, 5, 10
  auto stepped = shard_from_environment(env({{"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_MIN", "0"},
                                             {"SLURM_ARRAY_TASK_MAX", "10"}, {"SLURM_ARRAY_TASK_STEP", "5"}}));
  REQUIRE(stepped);
  CHECK(stepped->index == 1);
  CHECK(stepped->count == 3);
  CHECK_THROWS_AS(shard_from_environment(env({{"SLURM_ARRAY_TASK_ID", "1"}})), k3::ConfigError);

  CHECK_THROWS_AS(shard_from_environment(env({{"JOB_COMPLETION_INDEX", "1"}})), k3::ConfigError);
  auto k8s = shard_from_environment(env({{"JOB_COMPLETION_INDEX", "1"}, {"K3ANIM_SHARD_COUNT", "3"}}));
  REQUIRE(k8s);
  CHECK(k8s->index == 1);
  CHECK(k8s->count == 3);
  CHECK(shard_from_environment(env({{"JOB_COMPLETION_INDEX", "1"}}), 2)->count == 2);
  CHECK_THROWS_AS(shard_from_environment(env({{"JOB_COMPLETION_INDEX", "4"}, {"K3ANIM_SHARD_COUNT", "3"}})), k3::ConfigError);

  CHECK(clips_of_shard(7, Shard{1, 3, ""}) == std::vector<int>{1, 4});
  CHECK(clips_of_shard(2, Shard{2, 3, ""}).empty());
}

TEST_CASE("a lease is exclusive while its heartbeat is fresh, then taken over", "[unit][farm]") {
  k3::test::TempDir dir("farm-lease");
  const std::string run = dir / "clip";
  const double timeout = 0.6;
  std::optional<LeaseRecord> holder;
  auto first = RunLease::acquire(run, timeout, holder);
  REQUIRE(first);
  CHECK_FALSE(holder);
  CHECK(first->generation() == 1);

  // While the first holder beats, nobody else gets in, even after the timeout has passed.
  sleep_s(timeout * 1.5);
  CHECK_FALSE(RunLease::acquire(run, timeout, holder));
  REQUIRE(holder);
  CHECK(holder->pid == static_cast<long>(getpid()));
  first->frame_written(4);
  sleep_s(0.3);
  CHECK(read_current_lease(run)->frame == 5);
  CHECK(clip_status(run, "clip", unix_now(), timeout).state == ClipState::kRunning);

  // The holder dies (its heartbeat stops without a release): stale after the timeout.
  first.reset();
  CHECK(clip_status(run, "clip", unix_now(), timeout).state == ClipState::kRunning);
  sleep_s(timeout * 1.5);
  CHECK(clip_status(run, "clip", unix_now(), timeout).state == ClipState::kStale);
  auto second = RunLease::acquire(run, timeout, holder);
  REQUIRE(second);
  CHECK(second->took_over());
  CHECK(second->generation() == 2);

  // Released (stopped) leases are taken over at once.
  second->release("stopped by SIGTERM at frame 5");
  CHECK(clip_status(run, "clip", unix_now(), timeout).state == ClipState::kStopped);
  auto third = RunLease::acquire(run, timeout, holder);
  REQUIRE(third);
  CHECK(third->generation() == 3);
  write_done_marker(run, 6, "", third->generation());
  third->release("done");
  CHECK(clip_status(run, "clip", unix_now(), timeout).state == ClipState::kDone);

  auto history = read_lease_history(run);
  std::vector<std::string> events;
  for (const auto& e : history) events.push_back(e.event);
  CHECK(events == std::vector<std::string>{"acquire", "frame", "takeover", "release", "takeover", "release"});
}

TEST_CASE("a holder whose lease was taken over notices that it lost it", "[unit][farm]") {
  k3::test::TempDir dir("farm-lease-lost");
  const std::string run = dir / "clip";
  std::optional<LeaseRecord> holder;
  auto slow = RunLease::acquire(run, 100, holder);  // no heartbeat for 16 s
  REQUIRE(slow);
  // Another worker with a much shorter timeout judges the lease stale and takes it over.
  sleep_s(0.1);
  auto fast = RunLease::acquire(run, 0.05, holder);
  REQUIRE(fast);
  slow->frame_written(0);
  CHECK(slow->lost());
  slow->release("done");  // a lost holder leaves the new generation alone
  CHECK_FALSE(read_current_lease(run)->released);
  CHECK(read_current_lease(run)->generation == 2);
}

TEST_CASE("status lists the batch in order and refuses another batch on the same root", "[unit][farm]") {
  k3::test::TempDir dir("farm-status");
  record_batch(dir.path, {"b", "a"});
  record_batch(dir.path, {"b", "a"});
  CHECK_THROWS_AS(record_batch(dir.path, {"a", "b"}), k3::ConfigError);
  auto clips = farm_status(dir.path, 10);
  REQUIRE(clips.size() == 2);
  CHECK(clips[0].name == "b");
  CHECK(clips[1].state == ClipState::kNotStarted);
  CHECK_THROWS_AS(farm_status(dir / "missing", 10), k3::FileError);
}
