#pragma once
/// \file catalogue.hpp
/// The reference lists of the Wuhan measures as data (SPEC §2, §8): service scenarios (Art. 2,
/// Art. 3), operating modes (Art. 6), operator statuses (Art. 14) and the ten veto flags that end
/// the contract (Art. 16). The measures end their lists with 等 ("etc."), so the lists are files
/// (`data/catalogue/*.csv`, described in `data/catalogue/README.md`) that users may extend.
#include <string>
#include <string_view>
#include <vector>

namespace embedrating {

/// "Art. 16(5)" → "第十六条第（五）项", "Art. 2" → "第二条", in any text: the Chinese way of citing
/// the measures, for explanations and outputs in Chinese. Other text is kept as it is.
std::string cite_articles_zh(std::string_view text);

/// The three service categories of Art. 2, as written in the catalogue files.
inline constexpr const char* scenario_categories[] = {"public", "inclusive", "commercial"};

/// True for "public", "inclusive" or "commercial".
bool is_scenario_category(std::string_view category) noexcept;

/// A service scenario (服务场景), e.g. `elderly_care` 养老服务.
struct scenario {
  std::string code;      ///< identifier: lower-case ASCII letters, digits and '_'
  std::string name_zh;
  std::string name_en;
  std::string category;  ///< "public" | "inclusive" | "commercial"
  bool core = false;     ///< one of the four of which Art. 2 requires at least two
  std::string article;   ///< where the measures name it, e.g. "Art. 2(2)"
  /// The Art. 3 scene (one of the seven 七大场景 of Art. 3 and Art. 7: 养老托育, 社区助餐, 家政便民,
  /// 健康服务, 体育健身, 文化休闲, 儿童游憩) this scenario belongs to; empty when none.
  std::string art3_scene;
  std::vector<std::string> aliases;  ///< other names accepted on input (besides code and name_zh)
};

/// An operating mode (运营模式) of Art. 6, e.g. `public_built_private_run` 公建民营.
struct operating_mode {
  std::string code;
  std::string name_zh;
  std::string name_en;
  std::string typical_category;  ///< the scenario category the mode mainly applies to
  std::string article;
  std::vector<std::string> aliases;  ///< other names accepted on input, e.g. 公建民营
};

/// An operator status (Art. 14); only statuses with `graded` are rated.
struct status_info {
  std::string code;  ///< "active", "suspending", "suspended", "terminated"
  std::string name_zh;
  std::string name_en;
  bool graded = false;
  std::string article;  ///< optional column in statuses.csv
  std::vector<std::string> aliases;  ///< other names accepted on input, e.g. 运营中
};

/// One of the Art. 16 violations; any one set means no grade and "terminate contract".
struct veto_flag {
  std::string code;  ///< e.g. "credit_blacklist"; the dataset column is `flag.<code>`
  std::string name_zh;
  std::string name_en;
  std::string article;  ///< "Art. 16(1)" … "Art. 16(10)"
};

/// The four lists, immutable once built; lookups by code. Safe to share between threads.
class catalogue {
 public:
  catalogue() = default;
  /// Validates codes (non-empty, well-formed, unique per list), categories and names;
  /// throws data_error naming the list and the code.
  catalogue(std::vector<scenario> scenarios, std::vector<operating_mode> modes,
            std::vector<status_info> statuses, std::vector<veto_flag> veto_flags);

  /// Reads scenarios.csv, modes.csv, statuses.csv and veto_flags.csv from `directory` (UTF-8 or
  /// GB18030). Throws data_error naming the file, the line and the column or code at fault:
  /// a missing file or required column, a duplicate or malformed code, an unknown category,
  /// a core/graded value other than 0 or 1. Extra columns are ignored.
  static catalogue load(const std::string& directory);

  const std::vector<scenario>& scenarios() const noexcept { return scenarios_; }
  const std::vector<operating_mode>& modes() const noexcept { return modes_; }
  const std::vector<status_info>& statuses() const noexcept { return statuses_; }
  const std::vector<veto_flag>& veto_flags() const noexcept { return veto_flags_; }

  /// nullptr when the code is not in the list.
  const scenario* find_scenario(std::string_view code) const noexcept;
  const operating_mode* find_mode(std::string_view code) const noexcept;
  const status_info* find_status(std::string_view code) const noexcept;
  const veto_flag* find_veto_flag(std::string_view code) const noexcept;

  /// Input text → entry: the code, the Chinese or English name (exact, after trimming spaces) or
  /// an alias (the optional `aliases` column, names separated by ';'). So 公建民营, 公建民营模式
  /// and public_built_private_run all give the same mode. nullptr when nothing matches.
  const scenario* lookup_scenario(std::string_view text) const noexcept;
  const operating_mode* lookup_mode(std::string_view text) const noexcept;
  const status_info* lookup_status(std::string_view text) const noexcept;

  /// Codes of the scenarios marked with an Art. 3 scene, in file order.
  std::vector<std::string> art3_scenarios() const;

  /// Codes of the core scenarios, in file order (Art. 2: elderly_care, infant_care, child_care,
  /// meals in the shipped catalogue).
  std::vector<std::string> core_scenarios() const;
  /// Codes of the veto flags, in file order.
  std::vector<std::string> veto_flag_codes() const;

 private:
  std::vector<scenario> scenarios_;
  std::vector<operating_mode> modes_;
  std::vector<status_info> statuses_;
  std::vector<veto_flag> veto_flags_;
};

}  // namespace embedrating
