// The file format of one finished kNN checkpoint unit (checkpoint.h): magic "UFKNNU1", the
// unit's index, row count and width, its rows, neighbours and similarities (host byte order),
// then a 64-bit FNV-1a checksum of everything before it.
#pragma once

#include <cstdint>
#include <string>

#include "host/core/backend.h"

namespace unfriend {

/// The bytes of unit `unit` holding `data`.
std::string encode_checkpoint_unit(int64_t unit, const KnnUnit& data);

/// Reads unit `unit` from `bytes` into `out`: "" when it is whole, else why it is not
/// ("not a checkpoint unit", "checksum mismatch (damaged or torn file)", "header does not
/// match", "size does not match its header"); `out` is then unspecified.
std::string decode_checkpoint_unit(const std::string& bytes, int64_t unit, KnnUnit& out);

}  // namespace unfriend
