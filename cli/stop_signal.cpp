#include "cli/stop_signal.h"

#include <atomic>
#include <csignal>

namespace k3::cli {

namespace {
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_sigterm(int) { g_stop.store(true); }
}  // namespace

void stop_on_sigterm() {
  struct sigaction action {};
  action.sa_handler = on_sigterm;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return g_stop.load(); }

}  // namespace k3::cli
