// The ground-truth account kinds of /truth/kind: a file-format contract shared by the generator,
// importers and `unfriend evaluate`. Header-only, so that readers of truth files need not link
// the generator.
#pragma once

#include <cstdint>
#include <string>

namespace unfriend {

enum class AccountKind : int32_t {
  genuine = 0,
  dense_genuine = 1,  // genuine, but unusually tight: must not be flagged
  click_farm = 2,
  mass_report = 3,
  near_duplicate = 4,
};
constexpr int kAccountKindCount = 5;

inline std::string to_string(AccountKind kind) {
  switch (kind) {
    case AccountKind::genuine:
      return "genuine";
    case AccountKind::dense_genuine:
      return "dense_genuine";
    case AccountKind::click_farm:
      return "click_farm";
    case AccountKind::mass_report:
      return "mass_report";
    case AccountKind::near_duplicate:
      return "near_duplicate";
  }
  return "?";
}

/// The "codes" attribute of /truth/kind: "0=genuine,1=dense_genuine,2=click_farm,...".
inline std::string account_kind_codes() {
  std::string codes;
  for (int k = 0; k < kAccountKindCount; ++k) {
    if (k > 0) codes += ',';
    codes += std::to_string(k) + '=' + to_string(static_cast<AccountKind>(k));
  }
  return codes;
}

}  // namespace unfriend
