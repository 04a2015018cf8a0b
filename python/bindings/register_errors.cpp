// embedrating._core: embedrating.Error and its subclasses. DataError is a ValueError and
// ArchiveError an OSError; each instance carries the message and its location as attributes, and
// the core's exceptions are translated to them.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include <embedrating/messages.hpp>

#include "bindings.hpp"

namespace embedrating::python {
namespace {

using namespace pybind11::literals;
// ---------------------------------------------------------------------------------------------
// Errors: embedrating.Error and its subclasses, with multiple bases (DataError is a ValueError,
// ArchiveError an OSError). Each instance carries the message and its location as attributes.

PyObject* error_type = nullptr;
PyObject* model_error_type = nullptr;
PyObject* data_error_type = nullptr;
PyObject* archive_error_type = nullptr;

py::object error_instance(PyObject* type, const error& e) {
  py::object inst = py::reinterpret_borrow<py::object>(type)(utf8(e.what()));
  const error_location& w = e.where();
  inst.attr("file") = w.file.empty() ? py::object(py::none()) : py::object(utf8(w.file));
  inst.attr("line") = w.line == 0 ? py::object(py::none()) : py::object(py::int_(w.line));
  inst.attr("column") = w.column == 0 ? py::object(py::none()) : py::object(py::int_(w.column));
  inst.attr("row") = w.row.empty() ? py::object(py::none()) : py::object(utf8(w.row));
  inst.attr("field") = w.field.empty() ? py::object(py::none()) : py::object(utf8(w.field));
  inst.attr("operator_id") = w.operator_id.empty() ? py::object(py::none()) : py::object(utf8(w.operator_id));
  inst.attr("message") = utf8(e.message());
  return inst;
}

void raise_as(PyObject* type, const error& e) {
  const py::object inst = error_instance(type, e);
  PyErr_SetObject(type, inst.ptr());
}

PyObject* new_error(py::module_& m, const char* name, const char* doc, PyObject* bases) {
  const std::string full = std::string("embedrating.") + name;
  PyObject* t = PyErr_NewExceptionWithDoc(full.c_str(), doc, bases, nullptr);
  if (t == nullptr) throw py::error_already_set();
  m.attr(name) = py::reinterpret_borrow<py::object>(t);
  return t;
}

}  // namespace


void register_errors(py::module_& m) {
  error_type = new_error(m, "Error",
                         "Base of every embedrating error. Attributes: message (without the location), "
                         "file, line, column, row (a DataFrame's row label), field, operator_id (None when not known).",
                         PyExc_Exception);
  py::tuple value_bases = py::make_tuple(py::handle(error_type), py::handle(PyExc_ValueError));
  py::tuple os_bases = py::make_tuple(py::handle(error_type), py::handle(PyExc_OSError));
  model_error_type = new_error(m, "ModelError",
                               "A model file or model object is invalid (TOML syntax, unknown key, bad value, "
                               "inconsistent tree). Also a ValueError.",
                               value_bases.ptr());
  data_error_type = new_error(m, "DataError",
                              "Input data is invalid (missing or unknown column, NaN, out of range, duplicate id, "
                              "bad CSV). Also a ValueError.",
                              value_bases.ptr());
  archive_error_type = new_error(m, "ArchiveError",
                                 "A saved state or archive is unreadable (truncated, corrupted, oversized, newer "
                                 "format). Also an OSError.",
                                 os_bases.ptr());
  // the Chinese problem texts of `embedrating validate --lang zh` (include/embedrating/messages.hpp)
  m.def(
      "translate_error",
      [](py::object err, const std::string& lang) -> py::object {
        const language l = language_of(lang);
        if (PyObject_IsInstance(err.ptr(), error_type) != 1) throw py::type_error("translate_error: not an embedrating.Error");
        if (l == language::en) return err;
        auto text = [&err](const char* name) {
          const py::object v = py::getattr(err, name, py::none());
          return v.is_none() ? std::string() : py::str(v).cast<std::string>();
        };
        auto number = [&err](const char* name) {
          const py::object v = py::getattr(err, name, py::none());
          return v.is_none() ? std::uint32_t{0} : v.cast<std::uint32_t>();
        };
        error_location w;
        w.file = text("file");
        w.line = number("line");
        w.column = number("column");
        w.row = text("row");
        w.field = text("field");
        w.operator_id = text("operator_id");
        const std::string english = py::hasattr(err, "message") ? text("message") : py::str(err).cast<std::string>();
        const std::string message = translate_message(english, l);
        py::object out = py::type::of(err)(utf8(location_text(w, l) + message));
        for (const char* name : {"file", "line", "column", "row", "field", "operator_id"})
          out.attr(name) = py::getattr(err, name, py::none());
        out.attr("message") = utf8(message);
        return out;
      },
      "error"_a, "lang"_a,
      "The error (an embedrating.Error) with its location and message in `lang` (\"en\": the error itself; \"zh\": "
      "the Chinese text of `embedrating validate --lang zh`, attributes kept, message translated). ValueError for "
      "another lang.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const model_error& e) {
      raise_as(model_error_type, e);
    } catch (const data_error& e) {
      raise_as(data_error_type, e);
    } catch (const archive_error& e) {
      raise_as(archive_error_type, e);
    } catch (const error& e) {
      raise_as(error_type, e);
    }
  });
}

// ---------------------------------------------------------------------------------------------

py::list data_errors(const std::vector<data_error>& problems) {
  py::list out;
  for (const auto& e : problems) out.append(error_instance(data_error_type, e));
  return out;
}

}  // namespace embedrating::python
