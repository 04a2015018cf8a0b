// Fuzz target: model::from_toml on any bytes. Every failure must be a model_error; a model that
// loads must survive to_toml → from_toml with the same fingerprint, and rate the example table.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <embedrating/embedrating.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const embedrating::model m = embedrating::model::from_toml(text, "fuzz.toml");
    const embedrating::model again = embedrating::model::from_toml(m.to_toml(), "again.toml");
    if (again.fingerprint() != m.fingerprint()) std::abort();  // the canonical TOML must round-trip
  } catch (const embedrating::model_error&) {
  }
  return 0;
}
