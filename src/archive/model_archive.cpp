// The model archive (docs/archives.md): the model's canonical TOML with its fingerprint and
// structure fingerprint. Loading reads the TOML through the model reader (every check a model file
// gets) and refuses the archive when either fingerprint differs from the one recorded.
#include <boost/serialization/split_member.hpp>

#include "embedrating/model.hpp"
#include "embedrating/serialize.hpp"
#include "forms.hpp"

namespace embedrating {
namespace {

/// The serialized form of a model; class version 1.
struct model_form {
  const model* in = nullptr;
  std::optional<model> out;
  std::string source;

  void save(portable_oarchive& ar, const unsigned int /*version*/) const { detail::save_model_text(ar, *in); }
  void load(portable_iarchive& ar, const unsigned int /*version*/) { out = detail::load_model_text(ar, source, "the model in the archive"); }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

}  // namespace
}  // namespace embedrating

BOOST_CLASS_VERSION(embedrating::model_form, 1)

namespace embedrating {

namespace detail {

void save_model_text(portable_oarchive& ar, const model& m) { ar << m.to_toml() << m.fingerprint() << m.structure_fingerprint(); }

model load_model_text(portable_iarchive& ar, const std::string& source, const std::string& what) {
  std::string toml, fingerprint, structure;
  ar >> toml >> fingerprint >> structure;
  std::optional<model> m;
  try {
    m = model::from_toml(toml, source);
  } catch (const error& e) {
    ar.fail(what + " does not load: " + e.what());
  }
  if (m->fingerprint() != fingerprint) ar.fail(what + " has fingerprint " + m->fingerprint() + ", the archive recorded " + fingerprint);
  if (m->structure_fingerprint() != structure)
    ar.fail(what + " has structure fingerprint " + m->structure_fingerprint() + ", the archive recorded " + structure);
  return std::move(*m);
}

}  // namespace detail

std::string to_bytes(const model& m) {
  model_form f;
  f.in = &m;
  return detail::seal_form(archive_type::model, f);
}

template <>
model from_bytes<model>(std::string_view bytes, const std::string& source) {
  model_form f;
  f.source = source;
  detail::unseal_form(archive_type::model, bytes, source, "model", f);
  return std::move(*f.out);
}

}  // namespace embedrating
