#pragma once
// A small reader of the pickles torch.save writes (protocols 2-4): dicts, OrderedDicts, lists,
// tuples, scalars, strings and tensors (torch._utils._rebuild_tensor_v2 / _rebuild_parameter
// over persistent-id storages), nothing else. Tensors come back as metadata (dtype, sizes,
// strides, offset, storage key); no storage is read here.
// Written for the original Kandinsky 3 checkpoints: libtorch's torch::jit::Unpickler turns a
// collections.OrderedDict into None (it expects them only as a tensor's backward hooks), and
// every Python state_dict is an OrderedDict.
// Follows CPython Lib/pickle.py (opcode meanings) and torch/serialization.py (persistent ids).
#include <c10/core/ScalarType.h>  // the dtype enum only: keeps this parser free of libtorch

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace k3::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct TensorMeta {
  c10::ScalarType dtype = c10::kFloat;
  std::vector<int64_t> sizes, strides;
  int64_t storage_offset = 0;
  std::string storage_key;  // persistent id key ("0", "1", ...)
  int64_t storage_numel = 0;
};

struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Storage, Tensor, Opaque } kind = Kind::None;
  int64_t integer = 0;
  double real = 0;
  std::string text;                                   // String; Global "module.name"; Opaque: what made it
  std::vector<ValuePtr> items;                        // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries; // Dict, in insertion order
  TensorMeta tensor;                                  // Storage (dtype, key, numel) and Tensor
};

// Limits on what a hostile pickle can make us build (the real Kandinsky 3 checkpoints hold a few
// thousand values nested 4 deep): the values made and the values met walking the result (shared
// values counted each time), and the nesting depth of the result.
constexpr std::size_t kMaxPickleValues = 4u << 20;
constexpr int kMaxPickleDepth = 256;

// Parses `data` (a data.pkl record). Throws k3::FileError naming `source` and the byte offset.
// The result is a tree (no value contains itself; shared values allowed), at most
// kMaxPickleDepth deep and kMaxPickleValues long to walk, and every
// tensor's sizes, strides and offset are non-negative, as many, and address at most
// storage_numel elements without overflow (the record's real size is checked when read).
ValuePtr parse(const std::uint8_t* data, std::size_t size, const std::string& source);

}  // namespace k3::pickle
