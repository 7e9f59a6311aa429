#pragma once
// The per-machine memory of which convolution algorithm was faster for which shape
// (see conv_dispatch.h). One small text file under the user's cache folder
// ($XDG_CACHE_HOME/k3anim, else ~/.cache/k3anim), one line per (machine, shape):
//   machine <TAB> shape <TAB> algorithm <TAB> oneDNN ms <TAB> matmul ms
// "machine" names the CPU model, the usable cores, the libtorch version and the BLAS library
// mapped into the process, so a choice measured elsewhere (or before an upgrade) is never reused.
// Cheap header: no torch include.
#include <map>
#include <string>

namespace k3 {

struct ConvTiming {
  std::string algorithm;  // "onednn" or "matmul"
  double onednn_ms = 0, matmul_ms = 0;
};

class ConvChoiceCache {
 public:
  // `path` empty: nothing is read or written (choices live for this process only).
  explicit ConvChoiceCache(std::string path, std::string machine);

  // The file's choices for this machine, read once on first call; a missing or unreadable
  // file, or malformed lines in it, count as no choices (the cache is only an optimisation).
  const ConvTiming* find(const std::string& shape);
  // Records a choice and rewrites the file (atomically: temporary file + rename), keeping
  // the lines of other machines. Returns false when the file could not be written.
  bool store(const std::string& shape, const ConvTiming& timing);

  const std::string& path() const { return path_; }
  const std::string& machine() const { return machine_; }

  // $XDG_CACHE_HOME/k3anim/conv-algorithms.tsv, else $HOME/.cache/k3anim/...; "" without either.
  static std::string default_path();
  // CPU model, usable cores, `library` (the torch version) and the BLAS library mapped in.
  static std::string describe_machine(const std::string& library);

 private:
  void load();
  std::string path_, machine_;
  bool loaded_ = false;
  std::map<std::string, ConvTiming> mine_;  // this machine's choices, by shape
  std::multimap<std::string, std::string> others_;  // other machines' lines, kept verbatim
};

}  // namespace k3
