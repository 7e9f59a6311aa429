// A render farm on one shared root, as a job array runs it: three `k3anim render --run-root`
// workers (separate processes) over the six clips of examples/cluster/batch, one killed with
// SIGKILL mid-clip, one stopped with SIGTERM, replacements started. Checks that every clip is
// finished once, byte-identical to a single-process render, never rendered by two live workers
// at once (lease history), and that `k3anim status` tells the truth at each step.
#include "tests/support/test_support.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using k3::test::k3anim_path;
using k3::test::run;
using k3::test::shell_quote;
using k3::test::TempDir;
using nlohmann::json;

namespace {

const std::vector<std::string> kClips = {"city-zoom", "forest-walk", "ocean-spin", "canyon-flight", "market-pan", "nebula-drift"};
const int kFrames = 12;
// Seconds; the heartbeat beats every 0.25 s. Twelve beats of slack: under a parallel ctest on two
// cores a live worker's beat was once late enough for a 1.5 s lease to call it stale.
const char* kLeaseTimeout = "3";

double now_s() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

std::vector<std::string> batch_args() {
  std::vector<std::string> args = {"--quiet", "render"};
  for (const auto& clip : kClips) args.push_back(k3::test::source_dir() + "/examples/cluster/batch/" + clip + ".json");
  for (const char* s : {"width=128", "height=128"}) args.push_back("--set"), args.push_back(s);
  args.insert(args.end(), {"--frames", std::to_string(kFrames), "--preview"});
  return args;
}

std::string command_line(const std::vector<std::string>& args) {
  std::string line = shell_quote(k3anim_path());
  for (const auto& a : args) line += " " + shell_quote(a);
  return line;
}

struct Worker {
  pid_t pid = -1;
  std::string log;
};

// Starts `k3anim render --run-root ROOT --shard I/3` with the short lease timeout.
Worker start_worker(const std::string& root, const std::string& shard, const std::string& log) {
  std::vector<std::string> args = batch_args();
  args.insert(args.end(), {"--run-root", root, "--shard", shard});
  Worker worker{-1, log};
  worker.pid = fork();
  if (worker.pid == 0) {
    setenv("K3ANIM_LEASE_TIMEOUT", kLeaseTimeout, 1);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    std::string exe = k3anim_path();
    argv.push_back(exe.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  return worker;
}

int wait_exit_code(const Worker& worker) {
  int status = 0;
  waitpid(worker.pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The journal's next_frame from its header ("K3JOURNAL <version> <header bytes>" then JSON).
int journal_frames(const std::string& run_dir) {
  std::ifstream in(run_dir + "/state/journal.k3state", std::ios::binary);
  std::string magic;
  int version = 0;
  std::size_t header_size = 0;
  if (!(in >> magic >> version >> header_size) || magic != "K3JOURNAL" || header_size > (1 << 16)) return 0;
  in.get();  // the newline
  std::string header(header_size, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_size))) return 0;
  try {
    return json::parse(header).at("next_frame").get<int>();
  } catch (const json::exception&) {
    return 0;  // being replaced this instant: the next poll reads it
  }
}

// Whether the clip's journal holds between `low` and `high` frames and it is not done.
bool mid_clip(const std::string& run_dir, int low, int high) {
  int frames = journal_frames(run_dir);
  return frames >= low && frames <= high && !fs::exists(run_dir + "/done.json");
}

std::map<std::string, json> status_of(const std::string& root) {
  auto result = run(shell_quote(k3anim_path()) + " status " + shell_quote(root) + " --json --lease-timeout " + kLeaseTimeout);
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  std::map<std::string, json> clips;
  json status = json::parse(result.output);  // kept alive: a range-for over .at() of a temporary dangles
  for (const auto& clip : status.at("clips")) clips[clip.at("name").get<std::string>()] = clip;
  return clips;
}

std::vector<json> lease_history(const std::string& run_dir) {
  std::vector<json> events;
  std::ifstream in(run_dir + "/leases.log");
  std::string line;
  while (std::getline(in, line)) events.push_back(json::parse(line));
  return events;
}

int count_pngs(const std::string& run_dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_dir + "/frames", ec)) n += entry.path().extension() == ".png";
  return n;
}

std::string frame_file(const std::string& run_dir, int index) {
  char name[32];
  std::snprintf(name, sizeof name, "/frames/%06d.png", index);
  return run_dir + name;
}

// No two live workers at once: each generation's holder stopped (released, or died by the test's
// hand) before the next generation was acquired, and every frame event lies inside its holder's
// tenure. `deaths` maps the killed workers' pids to the time they were killed.
void check_history(const std::string& clip, const std::vector<json>& events, const std::map<long, double>& deaths) {
  INFO("clip " << clip);
  std::map<int, double> acquired, ended;
  std::map<int, long> holder;
  int done_releases = 0;
  for (const auto& e : events) {
    int g = e.at("generation").get<int>();
    std::string what = e.at("event").get<std::string>();
    double t = e.at("time").get<double>();
    if (what == "acquire" || what == "takeover") {
      CHECK(acquired.count(g) == 0);
      acquired[g] = t, holder[g] = e.at("pid").get<long>();
    }
    if (what == "release") ended[g] = t, done_releases += e.at("detail") == "done";
    CHECK(what != "lost");
  }
  CHECK(done_releases == 1);  // finished exactly once
  for (auto& [g, pid] : holder) {
    auto death = deaths.find(pid);
    if (!ended.count(g) && death != deaths.end()) ended[g] = death->second;
  }
  for (const auto& [g, t] : acquired) {
    if (g == 1) continue;
    INFO("generation " << g);
    REQUIRE(ended.count(g - 1) == 1);  // the previous holder released or was killed...
    CHECK(ended[g - 1] <= t);          // ...before this one started
  }
  for (const auto& e : events) {
    if (e.at("event") != "frame") continue;
    int g = e.at("generation").get<int>();
    double t = e.at("time").get<double>();
    CHECK(t >= acquired[g]);
    if (ended.count(g)) CHECK(t <= ended[g]);
  }
}

}  // namespace

TEST_CASE("three farm workers with a SIGKILL, a SIGTERM and replacements finish every clip once, exactly",
          "[unit][cli][render][farm]") {
  TempDir dir("render-farm");
  const std::string root = dir / "root";

  // The single-process reference: a plain batch render.
  std::vector<std::string> reference_args = batch_args();
  reference_args.insert(reference_args.end(), {"--run-dir", dir / "reference"});
  auto reference = run(command_line(reference_args));
  INFO(reference.output);
  REQUIRE(reference.exit_code == 0);

  // Shards: worker 0 renders clips 0 and 3, worker 1 clips 1 and 4, worker 2 clips 2 and 5.
  Worker w0 = start_worker(root, "0/3", dir / "w0.log");
  Worker w1 = start_worker(root, "1/3", dir / "w1.log");
  Worker w2 = start_worker(root, "2/3", dir / "w2.log");
  std::map<long, double> deaths;

  // SIGKILL worker 0 and SIGTERM worker 1, each in the middle of its first clip (whichever
  // gets there first is signalled first: the clips are short).
  const std::string killed_clip = root + "/" + kClips[0];
  const std::string stopped_clip = root + "/" + kClips[1];
  bool killed = false, stopped = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(killed && stopped) && std::chrono::steady_clock::now() < deadline) {
    if (!killed && mid_clip(killed_clip, 2, kFrames - 3)) {
      kill(w0.pid, SIGKILL);
      deaths[w0.pid] = now_s();
      killed = true;
    }
    if (!stopped && mid_clip(stopped_clip, 2, kFrames - 3)) {
      kill(w1.pid, SIGTERM);
      stopped = true;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  REQUIRE(killed);
  REQUIRE(stopped);
  // Right after the SIGKILL the status cannot tell yet while the heartbeat is fresh; on a loaded
  // machine the timeout may already have passed when status runs: then it must say stale. Either
  // way the state must agree with the heartbeat age it reports.
  auto after_kill = status_of(root);
  const auto killed_state = after_kill[kClips[0]].at("state").get<std::string>();
  const double killed_age = after_kill[kClips[0]].at("heartbeat_age_s").get<double>();
  INFO("state " << killed_state << ", heartbeat age " << killed_age << " s");
  CHECK((killed_state == "running" || killed_state == "stale"));
  CHECK((killed_state == "stale") == (killed_age > std::stod(kLeaseTimeout)));
  CHECK(after_kill[kClips[0]].at("pid").get<long>() == w0.pid);
  CHECK(wait_exit_code(w0) == 128 + SIGKILL);

  // The SIGTERM'd worker finished its frame, wrote the journal and exited 75.
  CHECK(wait_exit_code(w1) == 75);
  auto after_term = status_of(root);
  CHECK(after_term[kClips[1]].at("state") == "stopped");
  int stopped_at = after_term[kClips[1]].at("frames_done").get<int>();
  CHECK(stopped_at > 0);
  CHECK(stopped_at < kFrames);
  CHECK(count_pngs(stopped_clip) == stopped_at);  // the frame under way was finished, no later one begun

  // The killed worker's heartbeat stops: its clip goes stale after the lease timeout.
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int>(std::atof(kLeaseTimeout) * 1000) + 500));
  auto after_timeout = status_of(root);
  CHECK(after_timeout[kClips[0]].at("state") == "stale");
  CHECK(after_timeout[kClips[0]].at("heartbeat_age_s").get<double>() > std::atof(kLeaseTimeout));
  CHECK(after_timeout[kClips[3]].at("state") == "not started");
  CHECK(after_timeout[kClips[4]].at("state") == "not started");

  // Worker 2 was left alone; the replacements take over the stale and the stopped clip.
  CHECK(wait_exit_code(w2) == 0);
  Worker r0 = start_worker(root, "0/3", dir / "r0.log");
  Worker r1 = start_worker(root, "1/3", dir / "r1.log");
  // A second replacement for shard 1 at once: it must wait for, never join, the live one.
  Worker r1b = start_worker(root, "1/3", dir / "r1b.log");
  int r0_code = wait_exit_code(r0), r1_code = wait_exit_code(r1), r1b_code = wait_exit_code(r1b);
  std::string logs;
  for (const auto& log : {w0.log, w1.log, w2.log, r0.log, r1.log, r1b.log}) logs += log + ":\n" + k3::test::read_file(log);
  INFO(logs);
  CHECK(r0_code == 0);
  CHECK(r1_code == 0);
  CHECK(r1b_code == 0);

  auto final_status = status_of(root);
  int differing = 0;
  for (const auto& clip : kClips) {
    INFO("clip " << clip);
    CHECK(final_status[clip].at("state") == "done");
    CHECK(final_status[clip].at("frames_done") == kFrames);
    REQUIRE(count_pngs(root + "/" + clip) == kFrames);
    for (int i = 0; i < kFrames; ++i)
      differing += k3::test::read_file(frame_file(root + "/" + clip, i)) != k3::test::read_file(frame_file(dir / "reference/" + clip, i));
    CHECK(fs::file_size(root + "/" + clip + "/video.mp4") > 0);
    check_history(clip, lease_history(root + "/" + clip), deaths);
  }
  std::cout << "farm: 6 clips x " << kFrames << " frames, killed " << kClips[0] << " and stopped " << kClips[1] << " at frame "
            << stopped_at << ": " << differing << " frames differ from the single-process render\n";
  CHECK(differing == 0);
  // The stale clip was taken over, the stopped one resumed where it stopped.
  auto history0 = lease_history(killed_clip);
  CHECK(std::count_if(history0.begin(), history0.end(), [](const json& e) { return e.at("event") == "takeover"; }) == 1);
  auto history1 = lease_history(stopped_clip);
  bool resumed_exactly = false;
  for (std::size_t i = 1; i < history1.size(); ++i)
    if (history1[i - 1].at("event") == "takeover" && history1[i].at("event") == "frame")
      resumed_exactly = history1[i].at("frame").get<int>() == stopped_at;
  CHECK(resumed_exactly);
}

TEST_CASE("farm options: a bad shard, a shard without a run root, a duplicate clip name", "[unit][cli][render][farm]") {
  TempDir dir("render-farm-usage");
  std::string preset = shell_quote(k3::test::source_dir() + "/examples/cluster/batch/city-zoom.json");
  // Presets first: --set takes several values.
  auto k3 = [&](const std::string& presets, const std::string& extra) {
    return shell_quote(k3anim_path()) + " render " + presets + " --preview --frames 2 --set width=64 --set height=64 " + extra;
  };
  std::string root = " --run-root " + shell_quote(dir / "r");
  auto bad = run(k3(preset, root + " --shard 3/3"));
  CHECK(bad.exit_code == 4);
  CHECK_THAT(bad.output, Catch::Contains("--shard") && Catch::Contains("0..2"));
  auto no_root = run(k3(preset, "--shard 0/2"));
  CHECK(no_root.exit_code == 4);
  CHECK_THAT(no_root.output, Catch::Contains("--run-root"));
  auto twice = run(k3(preset + " " + preset, root));
  CHECK(twice.exit_code == 4);
  CHECK_THAT(twice.output, Catch::Contains("city-zoom"));
  auto env = run("JOB_COMPLETION_INDEX=1 " + k3(preset, root));
  CHECK(env.exit_code == 4);
  CHECK_THAT(env.output, Catch::Contains("K3ANIM_SHARD_COUNT"));
  // Index 1 of 2 over a one-clip batch: nothing to do, and the status says so.
  auto idle = run("JOB_COMPLETION_INDEX=1 K3ANIM_SHARD_COUNT=2 " + k3(preset, root));
  INFO(idle.output);
  CHECK(idle.exit_code == 0);
  CHECK_THAT(idle.output, Catch::Contains("shard 1/2 (JOB_COMPLETION_INDEX): no clips"));
  auto status = run(shell_quote(k3anim_path()) + " status " + shell_quote(dir / "r"));
  CHECK_THAT(status.output, Catch::Contains("city-zoom  not started"));
}
