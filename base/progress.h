#pragma once
// The callback types every library reports through, per run (never global): progress of a
// counted piece of work, which also cancels it by returning false, and informational messages.
// Libraries never print; whoever runs them decides what to show.
#include <functional>
#include <string>

namespace k3 {

// Called after step `step` of `total_steps`; return false to stop (the library then throws
// k3::Cancelled, leaving what it wrote resumable).
using StepCallback = std::function<bool(int step, int total_steps)>;
// One informational line (a loading time, a plan, a warning).
using MessageCallback = std::function<void(const std::string& message)>;

}  // namespace k3
