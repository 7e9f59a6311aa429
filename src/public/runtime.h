#pragma once
// Process-wide runtime settings of libtorch (threads). Cheap header: no torch include.

namespace k3 {

// The number of CPU cores this process may use (sched affinity aware).
int available_cores();
// Sets libtorch's intra-op threads; `threads <= 0` means all available cores.
// libtorch defaults to 1 thread on these machines (ENVIRONMENT.md trap 2).
void set_torch_threads(int threads);
int torch_threads();

}  // namespace k3
