// Writes the seed corpus of fuzz_hdf5_input: small valid input files of every stored type and
// layout the reader supports (float16/32/64; contiguous, compact, chunked with 1-D and 2-D
// chunks, gzip, shuffle+gzip; int64, uint32 and uint64 ids; old and latest file formats, whose
// chunk indexes differ: B-tree v1 against fixed/extensible arrays and B-tree v2). Small files
// keep libFuzzer's mutations near the structures that matter.
//   make_hdf5_seeds OUTPUT_FOLDER
#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

struct Seed {
  std::string name;
  hid_t file_type;  // stored element type of /accounts/features
  hsize_t rows, cols;
  std::vector<hsize_t> chunk;  // empty: contiguous (or compact)
  bool compact = false;
  bool shuffle = false;
  int gzip = 0;
  bool unlimited = false;  // maxdims unlimited rows: extensible-array / B-tree v2 index
  hid_t id_type = -1;      // -1: no /accounts/id
  bool latest_format = false;
};

bool write_seed(const std::string& folder, const Seed& s) {
  const std::string path = folder + "/" + s.name + ".h5";
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (s.latest_format) H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (file < 0) return false;
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);

  const hsize_t dims[2] = {s.rows, s.cols};
  const hsize_t maxdims[2] = {s.unlimited ? H5S_UNLIMITED : s.rows, s.cols};
  hid_t space = H5Screate_simple(2, dims, maxdims);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (s.compact) H5Pset_layout(dcpl, H5D_COMPACT);
  if (!s.chunk.empty()) H5Pset_chunk(dcpl, static_cast<int>(s.chunk.size()), s.chunk.data());
  if (s.shuffle) H5Pset_shuffle(dcpl);
  if (s.gzip > 0) H5Pset_deflate(dcpl, static_cast<unsigned>(s.gzip));
  hid_t dset = H5Dcreate2(file, "/accounts/features", s.file_type, space, lcpl, dcpl, H5P_DEFAULT);
  std::vector<double> values(s.rows * s.cols);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<double>((i * 7919) % 23) / 4.0 - 2.5 + (i % 3 == 0 ? 0.125 : 0.0);
  }
  bool ok = dset >= 0 &&
            H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0;
  if (dset >= 0) H5Dclose(dset);
  H5Pclose(dcpl);
  H5Sclose(space);

  if (ok && s.id_type >= 0) {
    const hsize_t id_dims[1] = {s.rows};
    hid_t id_space = H5Screate_simple(1, id_dims, nullptr);
    hid_t ids =
        H5Dcreate2(file, "/accounts/id", s.id_type, id_space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<int64_t> id_values(s.rows);
    for (size_t i = 0; i < id_values.size(); ++i)
      id_values[i] = 1000 + 37 * static_cast<int64_t>(i);
    ok = ids >= 0 &&
         H5Dwrite(ids, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, id_values.data()) >= 0;
    if (ids >= 0) H5Dclose(ids);
    H5Sclose(id_space);
  }
  H5Pclose(lcpl);
  H5Fclose(file);
  if (!ok) std::fprintf(stderr, "make_hdf5_seeds: cannot write %s\n", path.c_str());
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_hdf5_seeds OUTPUT_FOLDER\n");
    return 2;
  }
  const std::string folder = argv[1];
  const hid_t f16 = H5Tcopy(H5T_IEEE_F32LE);  // IEEE binary16 as h5py stores it
  H5Tset_fields(f16, 15, 10, 5, 0, 10);
  H5Tset_size(f16, 2);
  H5Tset_ebias(f16, 15);
  const std::vector<Seed> seeds = {
      {"f32_contiguous_ids", H5T_IEEE_F32LE, 5, 3, {}, false, false, 0, false, H5T_STD_I64LE},
      {"f64_contiguous", H5T_IEEE_F64LE, 4, 2, {}, false, false, 0, false, -1},
      {"f16_chunked_gzip_ids", f16, 9, 3, {4, 3}, false, false, 4, false, H5T_STD_I64LE},
      {"f32_chunked_2d", H5T_IEEE_F32LE, 7, 5, {3, 2}, false, false, 0, false, -1},
      {"f32_shuffle_gzip_u64ids",
       H5T_IEEE_F32LE,
       10,
       2,
       {4, 2},
       false,
       true,
       6,
       false,
       H5T_STD_U64LE},
      {"f64_be_chunked_u32ids",
       H5T_IEEE_F64BE,
       6,
       2,
       {6, 2},
       false,
       false,
       1,
       false,
       H5T_STD_U32LE},
      {"f32_compact", H5T_IEEE_F32LE, 3, 4, {}, true, false, 0, false, H5T_STD_I32LE},
      {"latest_single_chunk",
       H5T_IEEE_F32LE,
       4,
       3,
       {4, 3},
       false,
       false,
       0,
       false,
       H5T_STD_I64LE,
       true},
      {"latest_fixed_array_gzip", H5T_IEEE_F32LE, 9, 2, {2, 2}, false, false, 3, false, -1, true},
      {"latest_extensible_array",
       H5T_IEEE_F64LE,
       6,
       2,
       {2, 2},
       false,
       false,
       0,
       true,
       H5T_STD_I64LE,
       true},
      {"f16_unlimited_btree", f16, 8, 2, {3, 1}, false, true, 2, true, -1},
  };
  int failures = 0;
  for (const Seed& seed : seeds) failures += write_seed(folder, seed) ? 0 : 1;
  H5Tclose(f16);
  return failures == 0 ? 0 : 1;
}
