// The model archive (docs/archives.md): the model's canonical TOML with its fingerprint and
// structure fingerprint. Loading reads the TOML through the model reader (every check a model file
// gets) and refuses the archive when either fingerprint differs from the one recorded.
#include <boost/serialization/split_member.hpp>

#include "embedrating/model.hpp"
#include "embedrating/serialize.hpp"

namespace embedrating {
namespace {

/// The serialized form of a model; class version 1.
struct model_form {
  const model* in = nullptr;
  std::optional<model> out;
  std::string source;

  template <class Archive>
  void save(Archive& ar, const unsigned int /*version*/) const {
    ar << in->to_toml() << in->fingerprint() << in->structure_fingerprint();
  }
  void load(portable_iarchive& ar, const unsigned int /*version*/) {
    std::string toml, fingerprint, structure;
    ar >> toml >> fingerprint >> structure;
    try {
      out = model::from_toml(toml, source);
    } catch (const error& e) {
      ar.fail(std::string("the model in the archive does not load: ") + e.what());
    }
    if (out->fingerprint() != fingerprint)
      ar.fail("the model in the archive has fingerprint " + out->fingerprint() + ", the archive recorded " + fingerprint);
    if (out->structure_fingerprint() != structure)
      ar.fail("the model in the archive has structure fingerprint " + out->structure_fingerprint() + ", the archive recorded " +
              structure);
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

}  // namespace
}  // namespace embedrating

BOOST_CLASS_VERSION(embedrating::model_form, 1)

namespace embedrating {

std::string to_bytes(const model& m) {
  std::string payload;
  portable_oarchive ar(payload);
  model_form f;
  f.in = &m;
  ar << f;
  return seal_archive(archive_type::model, archive_format_version(archive_type::model), payload);
}

template <>
model from_bytes<model>(std::string_view bytes, const std::string& source) {
  const unsealed_archive a = unseal_archive(archive_type::model, bytes, source);
  portable_iarchive ar(a.payload, source);
  model_form f;
  f.source = source;
  ar >> f;
  if (ar.left() != 0) ar.fail(std::to_string(ar.left()) + " unread bytes at the end of the model archive");
  return std::move(*f.out);
}

}  // namespace embedrating
