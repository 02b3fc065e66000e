// What each fuzz target does with one input, shared by the libFuzzer binaries and by
// tests/test_fuzz_regressions.cpp (which replays saved findings in the ordinary test build).
// Each function returns normally when the library accepts the input or refuses it with
// InputError/RuntimeFailure, the two correct answers to bad input; anything else escapes (an
// exception of another type) or crashes, and the sanitizers report it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace unfriend::fuzz {

/// parse_config() on the bytes as TOML text, then config_to_json() of what it accepted; and
/// parse_bytes() on the first line (the --max-memory syntax).
void config_input(const uint8_t* data, size_t size);

/// The first byte selects the mode: even, the rest is CSV text imported through a fixed recipe
/// that uses every transform; odd, the rest is recipe TOML, parsed and (when accepted) run
/// over a fixed CSV file.
void csv_import_input(const uint8_t* data, size_t size);

/// The bytes as an HDF5 input file: FeatureReader validation, read_ids(), and read_rows() of
/// every row in blocks (bounded: a hostile header may declare any extent).
void hdf5_input(const uint8_t* data, size_t size);

}  // namespace unfriend::fuzz
