#include "src/public/runtime.h"

#include <torch/torch.h>

#include <sched.h>

#include <atomic>
#include <thread>

namespace k3 {

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

void set_torch_threads(int threads) { torch::set_num_threads(threads > 0 ? threads : available_cores()); }

int torch_threads() { return torch::get_num_threads(); }

namespace {
std::atomic<bool> g_cuda_graphs{true};
}
void set_cuda_graphs(bool enabled) { g_cuda_graphs = enabled; }
bool cuda_graphs() { return g_cuda_graphs; }

}  // namespace k3
