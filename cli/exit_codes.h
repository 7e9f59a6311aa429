#pragma once
// Exit codes of k3anim and the one place that turns library exceptions into them.
#include <functional>

namespace k3::cli {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;        // any other failure
constexpr int kExitUsage = 2;        // bad command line
constexpr int kExitFile = 3;         // missing / unreadable / malformed file
constexpr int kExitConfig = 4;       // bad settings, preset, schedule or config value
constexpr int kExitWeights = 5;      // weights do not match the architecture
constexpr int kExitPartial = 6;      // several jobs, some failed
constexpr int kExitStopped = 75;     // SIGTERM: the current frame and its journal were finished; run again to resume
constexpr int kExitCancelled = 130;  // interrupted

// Runs `action`, printing any k3 error as one line "k3anim: error: ..." on stderr.
int run_guarded(const std::function<int()>& action);

}  // namespace k3::cli
