#pragma once
// All the safetensors files of one component (one file, or the shards of an index) as one
// name -> tensor store, and the strict loader that fills a module from it by exact names.
// Follows the strictness of diffusers/transformers load_state_dict(strict=True), but collects
// every problem before failing once.
#include "src/io/safetensors.h"

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace k3 {

// Maps safetensors dtypes to torch's and back (throws FileError for a dtype torch lacks).
torch::ScalarType to_scalar_type(DType dtype);
DType to_dtype(torch::ScalarType type);

class WeightStore {
 public:
  // Opens every file (validating each header); a tensor name present in two files is refused.
  static WeightStore open_files(const std::vector<std::string>& files);
  bool contains(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  const TensorRecord& record(const std::string& name) const;  // throws WeightError if absent
  // The tensor converted to `dtype` on `device`. A CPU tensor of the stored dtype aliases the
  // file's mapping when it is suitably aligned; otherwise it is a copy. The mapping is private
  // (copy-on-write): writes to an aliased tensor never reach the file, but later tensor() calls
  // of this store see them.
  torch::Tensor tensor(const std::string& name, torch::ScalarType dtype, torch::Device device) const;
  // Drops the resident file pages of `name` (see SafetensorsFile::release_pages). Only for a
  // tensor that was copied out: pages a live tensor aliases must stay.
  void release(const std::string& name) const;
  const std::vector<std::string>& files() const { return files_; }
  // Files joined with ", " for error messages.
  std::string describe_files() const;
  int64_t total_elements() const;

 private:
  std::vector<std::shared_ptr<SafetensorsFile>> handles_;
  std::vector<std::string> files_;
  std::map<std::string, const TensorRecord*> records_;
  std::map<std::string, std::shared_ptr<SafetensorsFile>> owner_;
};

struct LoadReport {
  std::vector<std::string> missing;      // module keys absent from the store
  std::vector<std::string> unexpected;   // store keys the module has no place for
  std::vector<std::string> mis_shaped;   // "key: expected [..], got [..] in FILE"
  std::vector<std::string> wrong_dtype;  // "key: expected a floating dtype, got I64 in FILE"
  bool ok() const { return missing.empty() && unexpected.empty() && mis_shaped.empty() && wrong_dtype.empty(); }
  // One line: counts and the first few keys of each kind.
  std::string summary() const;
};

// `aliases` maps a module key to an alternate checkpoint name for the same tensor (e.g. T5's
// "shared.weight" -> "encoder.embed_tokens.weight"); either name satisfies the key and neither
// is then unexpected.
LoadReport check_weights(const torch::nn::Module& module, const WeightStore& store,
                         const std::map<std::string, std::string>& aliases = {});

// Strict: check_weights, then one WeightError naming the component and files if anything is
// wrong; else every parameter and buffer takes its tensor in `dtype` on `device`.
void load_weights_strict(torch::nn::Module& module, const WeightStore& store, const std::string& component,
                         torch::ScalarType dtype, torch::Device device,
                         const std::map<std::string, std::string>& aliases = {});
// As above, with a dtype chosen per key (e.g. T5's `wo` kept in float32 under float16).
using DTypeForKey = std::function<torch::ScalarType(const std::string& key)>;
void load_weights_strict(torch::nn::Module& module, const WeightStore& store, const std::string& component,
                         const DTypeForKey& dtype_for_key, torch::Device device,
                         const std::map<std::string, std::string>& aliases = {});

}  // namespace k3
