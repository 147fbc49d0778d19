// _nnmass: the extension under the Python package nnmass. This file holds the module, the error
// translation and the torch-free functions (closed forms, examples, links, results databases);
// torch_bindings.cpp the rest. Each function takes the spec dict as JSON text ("" for none) and the
// keywords as a JSON object, reads them through call_options.h, calls the library and returns JSON
// text or numbers.
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "call_options.h"
#include "nnmass/cost.h"
#include "nnmass/error.h"
#include "nnmass/examples.h"
#include "nnmass/links.h"
#include "nnmass/mass.h"
#include "nnmass/spec_json.h"
#include "nnmass/summary.h"
#include "nnmass/sweep/store.h"

namespace py = pybind11;

namespace nnmass::python {
namespace {

// The spec of a closed-form call: a spec dict or the architecture keywords.
Spec closed_form_spec(const std::string& spec_json, const std::string& keywords, const std::string& function) {
  SpecCall call;
  apply_keywords(call.table, keywords, function);
  return call_spec(spec_json, call.spec, call.table, function);
}

// Python exception classes: nnmass.Error and one subclass per library error, each also a subclass
// of the built-in exception a Python caller expects (ValueError for a bad spec, OSError for a file).
struct ErrorClasses {
  PyObject* error = nullptr;
  PyObject* spec = nullptr;
  PyObject* io = nullptr;
  PyObject* resource = nullptr;
  PyObject* diverged = nullptr;
};

ErrorClasses& error_classes() {
  static ErrorClasses classes;  // the references are kept for the life of the process
  return classes;
}

PyObject* new_error_class(py::module_& m, const char* name, PyObject* base, PyObject* builtin, const char* doc) {
  PyObject* bases = builtin ? PyTuple_Pack(2, base, builtin) : PyTuple_Pack(1, base);
  PyObject* type = PyErr_NewExceptionWithDoc((std::string("nnmass.") + name).c_str(), doc, bases, nullptr);
  Py_DECREF(bases);
  if (!type) throw py::error_already_set();
  m.attr(name) = py::handle(type);
  return type;
}

void set_error(PyObject* type, const std::string& message) {
  PyErr_SetString(type, message.substr(0, message.find('\n')).c_str());  // one line, as the CLI prints
}

void register_errors(py::module_& m) {
  ErrorClasses& c = error_classes();
  c.error = new_error_class(m, "Error", PyExc_Exception, nullptr, "Base of the errors the nnmass library raises.");
  c.spec = new_error_class(m, "SpecError", c.error, PyExc_ValueError,
                           "A malformed or impossible spec, keyword or option; the message names it.");
  c.io = new_error_class(m, "IoError", c.error, PyExc_OSError,
                         "A file could not be read or written, or its content is corrupt.");
  c.resource = new_error_class(m, "ResourceError", c.error, PyExc_MemoryError,
                               "The work would need more memory than this machine has (refused before it starts).");
  c.diverged = new_error_class(m, "DivergedError", c.error, PyExc_ArithmeticError,
                               "Training diverged: the loss became NaN or infinite.");
  py::register_exception_translator([](std::exception_ptr p) {
    const ErrorClasses& c = error_classes();
    try {
      if (p) std::rethrow_exception(p);
    } catch (const SpecError& e) {
      set_error(c.spec, e.what());
    } catch (const IoError& e) {
      set_error(c.io, e.what());
    } catch (const ResourceError& e) {
      set_error(c.resource, e.what());
    } catch (const DivergedError& e) {
      set_error(c.diverged, e.what());
    } catch (const Error& e) {
      set_error(c.error, e.what());
    }
  });
}

std::vector<std::string> spec_list(const std::string& spec_json, const std::string& keywords) {
  SpecCall call;
  apply_keywords(call.table, keywords, "specs()");
  std::vector<std::string> out;
  for (const Spec& s : call_specs(spec_json, call.spec, call.table, "specs()")) out.push_back(spec_to_json(s).dump());
  return out;
}

std::string links_json(const std::string& spec_json, const std::string& keywords) {
  LinksCall call;
  apply_keywords(call.table, keywords, "links()");
  const Spec spec = call_spec(spec_json, call.spec, call.table, "links()");
  return links_to_json(draw_links(spec, call.seed.seed)).dump();
}

// Checks links (a links dict) against a spec and returns them as the library writes them.
std::string checked_links(const std::string& spec_json, const std::string& links) {
  const Spec spec = spec_from_json(parse_json_text(spec_json, "spec"));
  return links_to_json(links_from_json(parse_json_text(links, "links"), spec)).dump();
}

std::string runs_csv(const std::vector<std::string>& paths) {
  if (paths.empty()) throw SpecError("read_runs(): no database given");
  return runs_to_csv(read_runs(paths));
}

}  // namespace
}  // namespace nnmass::python

PYBIND11_MODULE(_nnmass, m) {
  using namespace nnmass;
  using namespace nnmass::python;
  m.doc() = "nnmass's C++ library (the Python API is the package nnmass; this module is its engine).";
  m.attr("__version__") = NNMASS_VERSION;
  register_errors(m);

  m.def("specs", &spec_list, py::arg("spec_json"), py::arg("keywords"),
        "Validated spec JSONs of a spec dict or of the architecture keywords (a grid gives several).");
  m.def("summary", [](const std::string& s, const std::string& k) {
    return summary_json(closed_form_spec(s, k, "summary()")).dump();
  }, py::arg("spec_json"), py::arg("keywords"), "What `nnmass mass --json` prints, as JSON text.");
  m.def("mass", [](const std::string& s, const std::string& k) { return nn_mass(closed_form_spec(s, k, "mass()")); },
        py::arg("spec_json"), py::arg("keywords"), "NN-Mass.");
  m.def("density", [](const std::string& s, const std::string& k) {
    return average_density(closed_form_spec(s, k, "density()"));
  }, py::arg("spec_json"), py::arg("keywords"), "NN-Density (mean density over cells or blocks).");
  m.def("cost", [](const std::string& s, const std::string& k) {
    const Cost c = count_cost(closed_form_spec(s, k, "cost()"));
    return std::vector<int64_t>{c.params, c.macs, c.flops, c.activations};
  }, py::arg("spec_json"), py::arg("keywords"), "[params, macs, flops, activations] in closed form.");
  m.def("example_names", &example_names, "Names of the built-in examples.");
  m.def("example_spec", [](const std::string& name) { return spec_to_json(example_spec(name)).dump(); },
        py::arg("name"), "The spec JSON of a built-in example.");
  m.def("links", &links_json, py::arg("spec_json"), py::arg("keywords"),
        "The long-range links drawn from the keyword seed, as links JSON.");
  m.def("check_links", &checked_links, py::arg("spec_json"), py::arg("links_json"),
        "Links JSON checked against a spec, as the library writes it.");
  m.def("runs_csv", &runs_csv, py::arg("paths"),
        "The runs of results databases (shards merged) as the CSV `nnmass report` writes.");
  m.def("options", &options_json, py::arg("call"),
        "The options of a call (spec, links, build, isometry, score, summarize) as JSON, for docstrings.");
  bind_torch(m);
}
