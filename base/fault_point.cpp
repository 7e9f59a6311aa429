// Crash-test hook; see fault_point.h. Deliberately tiny: one getenv per process, then a string
// compare and a counter per passage.
#include "base/fault_point.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unistd.h>

namespace k3 {

namespace {

struct FaultPlan {
  std::string point;       // "" = no fault armed
  long at = 0;             // which passage kills
  long passed = 0;         // passages so far
  std::string log;         // "" = no log
  std::mutex mutex;
};

FaultPlan& plan() {
  static FaultPlan* p = [] {
    auto* made = new FaultPlan;  // never destroyed: points may be passed during static destruction
    if (const char* at = std::getenv("K3_FAULT_AT")) {
      const char* colon = std::strrchr(at, ':');
      if (colon && colon != at) {
        made->point.assign(at, colon);
        made->at = std::strtol(colon + 1, nullptr, 10);
      }
      if (made->at < 1) made->point.clear();  // malformed: no fault rather than a surprise
    }
    if (const char* log = std::getenv("K3_FAULT_LOG")) made->log = log;
    return made;
  }();
  return *p;
}

}  // namespace

void fault_point(const char* point) {
  FaultPlan& p = plan();
  if (p.point.empty() && p.log.empty()) return;
  std::lock_guard<std::mutex> lock(p.mutex);
  if (!p.log.empty()) {
    if (std::FILE* f = std::fopen(p.log.c_str(), "a")) {
      std::fprintf(f, "%s\n", point);
      std::fclose(f);
    }
  }
  if (p.point != point || ++p.passed != p.at) return;
  kill(getpid(), SIGKILL);
  _exit(137);  // not reached
}

}  // namespace k3
