#pragma once
// SIGTERM (what Slurm and Kubernetes send before they kill a task) as a request to stop after
// the current frame. The handler only sets an atomic flag; the render's per-frame callback reads it.
namespace k3::cli {

void stop_on_sigterm();     // installs the handler (idempotent)
bool stop_requested();

}  // namespace k3::cli
