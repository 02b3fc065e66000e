// An action log built in memory and written as an HDF5 action log with its truth, for the
// lockstep tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "host/io/h5_writer.h"

namespace unfriend::test {

struct ActionLogFixture {
  std::vector<int64_t> account, target, time;
  std::vector<int32_t> kind;
  std::map<int64_t, int> truth;  // account id -> 0 genuine, 1 fan, 2 campaign
  void add(int64_t a, int64_t t, int64_t when, int32_t k) {
    account.push_back(a);
    target.push_back(t);
    time.push_back(when);
    kind.push_back(k);
  }
  void write(const std::string& path, bool shuffle, uint64_t seed = 7) const {
    std::vector<size_t> order(account.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (shuffle) std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
    auto pick = [&](const auto& v) {
      std::decay_t<decltype(v)> out;
      for (size_t i : order) out.push_back(v[i]);
      return out;
    };
    H5Writer w(path, true);
    w.write_int64("/actions/account", pick(account));
    w.write_int64("/actions/target", pick(target));
    w.write_int64("/actions/time", pick(time));
    w.write_int32("/actions/kind", pick(kind));
    std::vector<int64_t> ids, campaign;
    std::vector<int32_t> kinds;
    for (const auto& [id, what] : truth) {
      ids.push_back(id);
      kinds.push_back(what == 2 ? 3 : what);  // the campaign reports: a mass-reporting network
      campaign.push_back(what == 2 ? 0 : -1);
    }
    w.write_int64("/truth/account", ids);
    w.write_int32("/truth/kind", kinds);
    w.write_int64("/truth/campaign", campaign);
    w.commit();
  }
};

}  // namespace unfriend::test
