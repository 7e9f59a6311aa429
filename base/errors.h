#pragma once
// The error hierarchy of k3_core. Messages say what was expected, what was found, and where.
#include <stdexcept>
#include <string>

namespace k3 {

// Base of every error the libraries throw; the CLI maps the kinds to exit codes.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A file that is missing, unreadable, or malformed (safetensors, config, image, preset file).
struct FileError : Error {
  using Error::Error;
};
// Weights that do not match the architecture (missing, unexpected or mis-shaped tensors).
struct WeightError : Error {
  using Error::Error;
};
// Bad configuration or settings values.
struct ConfigError : Error {
  using Error::Error;
};
// A plan that does not fit the machine (memory needed vs available); a kind of settings error,
// since other settings (dtype, offload, size) make it fit.
struct ResourceError : ConfigError {
  using ConfigError::ConfigError;
};
// A run was cancelled through its callback.
struct Cancelled : Error {
  using Error::Error;
};

}  // namespace k3
