#pragma once
// Process-wide runtime settings of libtorch (threads, CUDA graphs). Cheap header: no torch include.

namespace k3 {

// The number of CPU cores this process may use (sched affinity aware).
int available_cores();
// Sets libtorch's intra-op threads; `threads <= 0` means all available cores.
// libtorch defaults to 1 thread on these machines (ENVIRONMENT.md trap 2).
void set_torch_threads(int threads);
int torch_threads();
// Whether the denoising loop replays the UNet from CUDA graphs on a CUDA device (default on; the
// CLI's --no-cuda-graphs turns it off). No effect on the CPU.
void set_cuda_graphs(bool enabled);
bool cuda_graphs();

}  // namespace k3
