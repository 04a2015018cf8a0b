#pragma once
// What the archives of src/archive/ share (docs/archives.md): a model written as its canonical
// TOML with its fingerprint and structure fingerprint, and the sealing and unsealing of a "form" —
// the Boost-serializable class that writes one persistent type — into the common container.
#include <memory>
#include <string>
#include <string_view>

#include <boost/serialization/split_member.hpp>

#include "embedrating/model.hpp"
#include "embedrating/serialize.hpp"

namespace embedrating::detail {

struct scored_state;

/// Writes `m` as its canonical TOML, fingerprint and structure fingerprint.
void save_model_text(portable_oarchive& ar, const model& m);

/// Reads what save_model_text wrote through the model reader (every check a model file gets) and
/// refuses it when either fingerprint differs from the recorded one; `what` names the model in
/// the messages ("the model in the archive").
model load_model_text(portable_iarchive& ar, const std::string& source, const std::string& what);

/// The archive of type `t` holding `form` (its class version first), sealed in the container.
template <class Form>
std::string seal_form(archive_type t, const Form& form) {
  std::string payload;
  portable_oarchive ar(payload);
  ar << form;
  return seal_archive(t, archive_format_version(t), payload);
}

/// Reads `form` from an archive of type `t`; every byte of the payload must be read. `name` is
/// the type's name in the message ("the dataset archive").
template <class Form>
void unseal_form(archive_type t, std::string_view bytes, const std::string& source, const char* name, Form& form) {
  const unsealed_archive a = unseal_archive(t, bytes, source);
  portable_iarchive ar(a.payload, source);
  ar >> form;
  if (ar.left() != 0) ar.fail(std::to_string(ar.left()) + " unread bytes at the end of the " + name + " archive");
}

/// The scored data without its model (docs/archives.md "scored"): written by the scored archive
/// after its model and by a ratings archive (format 2) after the ratings, so that a loaded ratings
/// can explain. Loading checks every count, size, index and enum against `model` (the scoring
/// model, read before) and the bytes left; what a model gives (compiled conditions, which rules
/// and prerequisites read points, the structure fingerprint) is recomputed from it, never stored.
struct scored_part {
  const scored_state* in = nullptr;     ///< saving
  const model* scoring_model = nullptr;  ///< loading: the model the data was scored with
  std::shared_ptr<scored_state> out;    ///< loading
  void save(portable_oarchive& ar, unsigned int version) const;
  void load(portable_iarchive& ar, unsigned int version);
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

/// Reads `form` from an archive of type `t` as unseal_form does, first setting
/// `form.format_version` to the archive's format version (for a type with several formats).
template <class Form>
void unseal_versioned_form(archive_type t, std::string_view bytes, const std::string& source, const char* name, Form& form) {
  const unsealed_archive a = unseal_archive(t, bytes, source);
  form.format_version = a.version;
  portable_iarchive ar(a.payload, source);
  ar >> form;
  if (ar.left() != 0) ar.fail(std::to_string(ar.left()) + " unread bytes at the end of the " + name + " archive");
}

}  // namespace embedrating::detail

BOOST_CLASS_VERSION(embedrating::detail::scored_part, 1)
