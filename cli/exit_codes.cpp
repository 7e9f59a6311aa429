#include "cli/exit_codes.h"

#include "base/errors.h"

#include <iostream>
#include <new>

namespace k3::cli {

namespace {
// Keeps the message on one line: errors are read in logs and terminals.
std::string one_line(std::string message) {
  for (char& c : message)
    if (c == '\n') c = ' ';
  return message;
}
}  // namespace

int run_guarded(const std::function<int()>& action) {
  try {
    return action();
  } catch (const k3::Cancelled& e) {
    std::cerr << "k3anim: cancelled: " << one_line(e.what()) << "\n";
    return kExitCancelled;
  } catch (const k3::FileError& e) {
    std::cerr << "k3anim: error: " << one_line(e.what()) << "\n";
    return kExitFile;
  } catch (const k3::WeightError& e) {
    std::cerr << "k3anim: error: " << one_line(e.what()) << "\n";
    return kExitWeights;
  } catch (const k3::ConfigError& e) {
    std::cerr << "k3anim: error: " << one_line(e.what()) << "\n";
    return kExitConfig;
  } catch (const std::bad_alloc&) {
    std::cerr << "k3anim: error: out of memory\n";
    return kExitError;
  } catch (const std::exception& e) {
    std::cerr << "k3anim: error: " << one_line(e.what()) << "\n";
    return kExitError;
  }
}

}  // namespace k3::cli
