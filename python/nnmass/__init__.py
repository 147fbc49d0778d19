"""nnmass: NN-Mass (Bhardwaj, Li, Marculescu, CVPR 2021) from Python.

A thin layer over nnmass's C++ library (the same code as the ``nnmass`` command line):

* closed forms of an architecture: :func:`mass`, :func:`density`, :func:`cost`, :func:`summary`;
* its long-range links (:func:`links`) and a runnable PyTorch module of it (:func:`build`, :func:`load`);
* layer-wise dynamical isometry at initialization (:func:`isometry`);
* zero-cost proxies of an architecture or of any PyTorch model (:func:`score`, :func:`summarize`,
  :func:`proxies`);
* a sweep's results database as a pandas DataFrame (:func:`read_runs`).

An architecture is given either as a spec dict (the JSON of ``nnmass mass --json``'s ``spec``, of
``nnmass.example(name)``, or of a spec file), as the path of a spec file, or as keyword arguments
named like the command line's flags with ``_`` for ``-`` (``--width-mult`` is ``width_mult=``)::

    nnmass.mass(family="mlp", width=8, depth=20, tc=100)
    nnmass.mass(arch="resnet18")
    nnmass.mass(nnmass.example("cifar_dwcnn"))

Keywords are read by the very option table the command line reads, so they take the same values
and are refused with the same one-line messages (``nnmass.SpecError``, a ``ValueError``). As on the
command line, a comma in ``depth``/``width``/``tc`` separates models (a grid: see :func:`specs`) and a
colon separates the cells of one model; a list is a comma list.

Errors: :class:`SpecError` (``ValueError``) for a bad spec, keyword or option, :class:`IoError`
(``OSError``) for a file, :class:`ResourceError` (``MemoryError``) when the work would not fit in
memory; all derive from :class:`Error`. Messages are the library's, one line, naming the field.

``import nnmass`` does not import torch; :func:`build`, :func:`load`, :func:`score` and
:func:`summarize` of a torch module do (Debian's python3-torch: the same libtorch as nnmass).
Library calls set torch's threads (``threads=0``: automatic) and restore them, and the caller's
torch random generator, on return.
"""
import io
import json
import math
import numbers
import os
import tempfile
import warnings

from . import _nnmass
from ._nnmass import DivergedError, Error, IoError, ResourceError, SpecError

__version__ = _nnmass.__version__

__all__ = [
    "mass", "density", "cost", "summary", "spec", "specs", "examples", "example", "links", "build",
    "load", "isometry", "score", "score_details", "summarize", "proxies", "read_runs", "Error",
    "SpecError", "IoError", "ResourceError", "DivergedError", "__version__",
]


# ---- arguments -> the library's JSON ---------------------------------------------------------

def _plain(value, name):
    """A value as JSON data: numpy scalars and arrays, tuples and paths made plain."""
    if value is True or value is False or value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise SpecError(f"{name} must be a finite number, got {value}")
        return float(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _plain(value.tolist(), name)
    if isinstance(value, (list, tuple)):
        return [_plain(v, name) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{name}.{k}") for k, v in value.items()}
    raise TypeError(f"{name}: cannot pass a {type(value).__name__}")


def _keywords(keywords):
    """The keywords as the JSON object the library's option table reads (None: not given)."""
    return json.dumps({k: _plain(v, k) for k, v in keywords.items() if v is not None})


def _spec_args(spec, keywords):
    """(spec JSON or "", keywords JSON) of a spec dict, a spec file's path, or keywords."""
    if spec is None:
        return "", _keywords(keywords)
    if isinstance(spec, (str, os.PathLike)):  # a spec file, read by the library like --spec
        if "spec" in keywords:
            raise SpecError("give the spec file once: positionally or as spec=")
        return "", _keywords({"spec": os.fspath(spec), **keywords})
    if isinstance(spec, dict):
        return json.dumps(_plain(spec, "spec")), _keywords(keywords)
    raise TypeError(f"a spec is a dict, a spec file's path, or keywords; got a {type(spec).__name__}")


# ---- closed forms ----------------------------------------------------------------------------

def mass(spec=None, /, **keywords):
    """NN-Mass of one architecture (dimensionless: sum over cells of density x width x depth).

    ``spec`` is a spec dict or a spec file's path; or give the architecture as keywords (below).
    Raises SpecError naming the field or keyword at fault.
    """
    return _nnmass.mass(*_spec_args(spec, keywords))


def density(spec=None, /, **keywords):
    """NN-Density: the mean density of the cells (or residual blocks), in [0, 1].

    Arguments as :func:`mass`.
    """
    return _nnmass.density(*_spec_args(spec, keywords))


def cost(spec=None, /, **keywords):
    """Closed-form cost of one architecture, per sample: a dict with

    * ``params``: every weight and bias, BatchNorm's affine parameters included (a count);
    * ``macs``: multiply-accumulates of the Linear and Conv layers for one sample;
    * ``flops``: ``2 * macs`` + bias additions (the official code's convention; BatchNorm,
      activations, pooling and residual additions are not counted).

    Arguments as :func:`mass`.
    """
    params, macs, flops, _ = _nnmass.cost(*_spec_args(spec, keywords))
    return {"params": params, "macs": macs, "flops": flops}


def summary(spec=None, /, **keywords):
    """Everything ``nnmass mass --json`` prints for one architecture, as a dict.

    Keys: ``spec`` (the validated spec dict), ``nn_mass``, ``average_density``, ``params``,
    ``macs``, ``flops`` (per sample, as :func:`cost`), ``activations`` (outputs of every Linear/Conv
    layer for one sample) and ``terms``: the per-cell or per-block terms of the NN-Mass sum, each
    with ``label``, ``volume``, ``links``, ``possible``, ``density`` and ``mass``.

    Arguments as :func:`mass`.
    """
    return json.loads(_nnmass.summary(*_spec_args(spec, keywords)))


def specs(spec=None, /, **keywords):
    """The validated spec dicts the keywords describe: several for a grid (``depth="16,24,32"``).

    With a spec dict or file: a list of that one spec, validated and with its defaults filled in.
    """
    return [json.loads(s) for s in _nnmass.specs(*_spec_args(spec, keywords))]


def spec(spec=None, /, **keywords):
    """The validated spec dict of one architecture (a spec dict, a spec file's path, or keywords).

    The dict is what :func:`mass`, :func:`build` and the other functions take, and what spec files hold.
    """
    found = specs(spec, **keywords)
    if len(found) != 1:
        raise SpecError(f"spec(): the keywords describe {len(found)} models (a grid); "
                        "pass one, or list them with nnmass.specs()")
    return found[0]


def examples():
    """Names of the built-in example architectures (as ``nnmass mass --example NAME``)."""
    return list(_nnmass.example_names())


def example(name):
    """The spec dict of a built-in example (see :func:`examples`); SpecError listing them if unknown."""
    return json.loads(_nnmass.example_spec(name))


def links(spec=None, /, *, seed=None, **keywords):
    """The long-range links of a dense architecture (mlp, cnn, dwcnn) drawn from ``seed``.

    A dict, the links JSON of the library (``nnmass build --links-out``): the pool kind, the seed,
    and per cell, per layer, the [layer, channel] sources it concatenates. The same seed gives the
    same links on every machine; pass the dict to :func:`build` (``links=``) to rebuild a topology.
    ``seed`` defaults to 0.
    """
    return json.loads(_nnmass.links(*_spec_args(spec, dict(keywords, seed=seed))))


# ---- networks (torch) ------------------------------------------------------------------------

def _links_json(links):
    if links is None:
        return ""
    if isinstance(links, (str, os.PathLike)):  # a links file (nnmass build --links-out), parsed by the library
        with open(links, encoding="utf-8") as f:
            return f.read()
    if not isinstance(links, dict):
        raise TypeError(f"links is a dict (nnmass.links()) or a links file's path, got a {type(links).__name__}")
    return json.dumps(_plain(links, "links"))


def build(spec=None, /, *, links=None, **keywords):
    """A runnable PyTorch module (``torch.jit.ScriptModule``) of the architecture, initialised.

    The module is the TorchScript archive nnmass's model files hold (``nnmass build --save``): its
    ``forward`` takes a batch ``[N, *spec["input"]]`` and returns logits ``[N, classes]``; it also
    carries the spec, links and init as string attributes ``nnmass_spec``, ``nnmass_links``,
    ``nnmass_init``. ``links`` (a dict from :func:`links`, or a links file's path) fixes the topology
    of a dense architecture; otherwise it is drawn from ``seed``, which also seeds the weights.
    Building does not change the caller's torch random generator.
    """
    import torch  # noqa: PLC0415 (torch is imported only by the functions that need it)

    archive = _nnmass.build(*_spec_args(spec, keywords), _links_json(links))
    return torch.jit.load(io.BytesIO(archive))


def load(path):
    """A model file written by nnmass (``build --save``, ``train --out``, ``export``):
    ``(module, spec)``, the runnable ``torch.jit.ScriptModule`` and the spec dict it was built from.

    Raises IoError if the file is no nnmass model file.
    """
    import torch  # noqa: PLC0415

    spec_dict = json.loads(_nnmass.model_spec(os.fspath(path)))
    return torch.jit.load(os.fspath(path)), spec_dict


def _float_array(data, name):
    import numpy  # noqa: PLC0415

    array = numpy.asarray(data, dtype=numpy.float32)
    if array.ndim < 2:
        raise SpecError(f"{name} must be an array [N, ...] of samples, got shape {list(array.shape)}")
    return array


def isometry(spec=None, /, *, data=None, **keywords):
    """Layer-wise dynamical isometry at initialization (method spec section 3), as ``nnmass isometry``.

    The singular values of every layer's Jacobian with respect to its own input, at each input
    sample, for one network built from ``seed`` (links and weights). Dense MLPs: analytic Jacobians;
    convolutional families: each conv layer or block, exact or by stochastic Lanczos quadrature.

    ``data``: the inputs: None for Fashion-MNIST's test images (Debian's dataset-fashion-mnist), a
    data folder or name like the CLI's ``--data``, or an array ``[N, ...]`` of samples (numpy or
    torch; each sample is reshaped to the spec's input shape). With keywords that give no ``input``
    (or ``classes``), the spec adopts the data's (an array's sample shape), as on the command line.

    Returns a dict: ``mean`` and ``std`` of all singular values pooled over layers and samples
    (dimensionless), ``count`` (singular values pooled), ``error`` (how the figures were computed and
    their standard error / quadrature bound; 0 for exact paths), ``layers`` (one dict per layer:
    ``name``, Jacobian ``rows`` x ``cols``, ``mean``, ``std``, ``count``, ``error``), ``seconds``
    (measurement time, s), ``samples``, ``data``, ``seed``, ``init``, ``sigma``, ``nn_mass`` and ``spec``.
    """
    array = None
    if isinstance(data, (str, os.PathLike)):
        keywords = dict(keywords, data=os.fspath(data))
    elif data is not None:
        array = _float_array(data, "isometry() data")
    return json.loads(_nnmass.isometry(*_spec_args(spec, keywords), array))


def _is_torch_module(model):
    import sys  # noqa: PLC0415

    torch = sys.modules.get("torch")  # a torch module implies torch is imported
    return torch is not None and isinstance(model, torch.nn.Module)


def _save_torchscript(module, example_input, path):
    """Saves ``module`` as TorchScript: as it is if scripted, else traced on ``example_input``, else scripted.

    A module is traced in eval mode (a batch of one passes BatchNorm) and left in its own mode: the
    library sets every BatchNorm call's mode itself, as each proxy needs it.
    """
    import torch  # noqa: PLC0415

    if isinstance(module, torch.jit.ScriptModule):
        scripted = module
    elif example_input is not None:
        training = module.training
        try:
            with torch.no_grad():
                scripted = torch.jit.trace(module.eval(), torch.as_tensor(example_input))
        finally:
            module.train(training)
    else:
        scripted = torch.jit.script(module)
    torch.jit.save(scripted, path)


def _input_shape(input_shape, example_input):
    if input_shape is not None:
        return list(input_shape)
    if example_input is not None:
        return list(example_input.shape[1:])
    return None


def score(model=None, /, proxies=None, *, data=None, example_input=None, input_shape=None, **keywords):
    """Zero-cost proxies and NN-Mass of an architecture at initialization, as ``nnmass score``.

    ``model`` is an architecture (a spec dict, a spec file's path, or keywords as in :func:`mass`),
    or any ``torch.nn.Module``: a ``torch.jit.ScriptModule`` as it is, another module traced on
    ``example_input`` (a batch ``[N, ...]``) or else scripted; the shape of one sample comes from
    ``input_shape``, ``example_input`` or the data. Its NN-Mass comes from its forward graph.

    ``proxies``: None or "auto" (every proxy that applies), "data-free", "none", or names (a list or
    a comma string; see :func:`proxies`). ``data``: None for the default (Fashion-MNIST's training
    split for a spec; no data for nb201 cells and torch modules), a data folder or name, or a pair
    ``(inputs [N, ...], labels [N])`` of arrays (labels: class indices below the spec's ``classes``).
    Without data, proxies that need it are skipped by "auto" and refused by name, unless
    ``gaussian=True`` feeds them Gaussian stand-ins.

    Returns a flat dict: ``nn_mass``, ``density``, ``params``, ``macs``, ``flops`` (per sample), then
    one entry per proxy measured (a float; NaN where the proxy failed on this network, with a
    warning). :func:`score_details` also gives the seconds each proxy took and the data read.
    """
    return score_details(model, proxies, data=data, example_input=example_input, input_shape=input_shape,
                         **keywords)["scores"]


def score_details(model=None, /, proxies=None, *, data=None, example_input=None, input_shape=None, **keywords):
    """:func:`score` with its context: a dict with ``scores`` (what :func:`score` returns), ``seconds``
    (per proxy, s), ``data`` (the data set read, or "none") and ``warnings`` (proxies that failed)."""
    if proxies is not None and not isinstance(proxies, str):
        proxies = ",".join(proxies)
    images = labels = None
    if isinstance(data, (str, os.PathLike)):
        keywords = dict(keywords, data=os.fspath(data))
    elif data is not None:
        import numpy  # noqa: PLC0415

        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise SpecError("score(): data is a name, a folder, or a pair (inputs [N, ...], labels [N])")
        images = _float_array(data[0], "score() data inputs")
        labels = numpy.asarray(data[1], dtype=numpy.int64)
    keywords = dict(keywords, proxies=proxies)
    with tempfile.TemporaryDirectory(prefix="nnmass-score-") as tmp:
        db = os.path.join(tmp, "score.sqlite")
        if _is_torch_module(model):
            path = os.path.join(tmp, "model.pt")
            _save_torchscript(model, example_input, path)
            keywords["input"] = _input_shape(input_shape, example_input)
            result = _nnmass.score("", _keywords(keywords), path, db, images, labels)
        else:
            if example_input is not None or input_shape is not None:
                raise SpecError("score(): example_input and input_shape apply to torch modules; "
                                "a spec takes input= instead")
            spec_json, kw = _spec_args(model, keywords)
            result = _nnmass.score(spec_json, kw, "", db, images, labels)
    for w in result["warnings"]:
        warnings.warn(f"nnmass: proxy {w}", RuntimeWarning, stacklevel=3)
    scores = {k: result[k] for k in ("nn_mass", "density", "params", "macs", "flops")}
    scores.update(result["proxies"])
    return {"scores": scores, "seconds": dict(result["seconds"]), "data": result["data"],
            "warnings": list(result["warnings"])}


def summarize(module, input_shape=None, *, example_input=None, threads=None):
    """NN-Mass, #params, MACs and FLOPs of any PyTorch model, measured on its forward graph.

    ``module``: a ``torch.nn.Module`` (scripted as it is, traced on ``example_input``, or else
    scripted) or the path of a saved TorchScript file. ``input_shape``: one sample's shape, e.g.
    ``(3, 224, 224)`` (default: ``example_input.shape[1:]``).

    Returns a dict: ``nn_mass``, ``average_density``, ``params``, ``macs`` and ``flops`` (for one
    sample), ``convs`` and ``linears`` (layer counts), ``classes`` (outputs per sample), ``input`` and
    ``terms`` (the cells of NN-Mass's graph definition, as in :func:`summary`).
    """
    keywords = _keywords({"input": _input_shape(input_shape, example_input), "threads": threads})
    if isinstance(module, (str, os.PathLike)):
        return json.loads(_nnmass.summarize(os.fspath(module), keywords))
    if not _is_torch_module(module):
        raise TypeError(f"summarize() takes a torch.nn.Module or a TorchScript file, got a {type(module).__name__}")
    with tempfile.TemporaryDirectory(prefix="nnmass-summarize-") as tmp:
        path = os.path.join(tmp, "model.pt")
        _save_torchscript(module, example_input, path)
        return json.loads(_nnmass.summarize(path, keywords))


def proxies():
    """The zero-cost proxies, each a dict saying how it is computed: ``name``, ``paper``, ``bn``
    (BatchNorm mode), ``input``, ``precision``, ``summary`` (the formula), ``needs_data``, ``batches``
    (real batches read) and ``direction`` (+1: higher predicts higher accuracy)."""
    return json.loads(_nnmass.proxy_catalogue())


# ---- results ---------------------------------------------------------------------------------

def read_runs(db):
    """The runs of a sweep's (or score's) results database as a ``pandas.DataFrame``, one row a run.

    ``db``: a SQLite file nnmass wrote, or a list of them (shards; a repeated run key keeps the later
    file's row). The columns are those of ``nnmass report``'s CSV: the run's identity and status,
    architecture (family, depth, width, tc, cells), seed, nn_mass, density, params, macs, flops,
    ldi_mean, ldi_std, train_seconds, test_acc, test_loss, epochs, data, the spec/links/recipe JSON,
    then one column per zero-cost proxy. The file is opened read-only; IoError if it is not an
    nnmass results database.
    """
    import pandas  # noqa: PLC0415

    paths = [os.fspath(db)] if isinstance(db, (str, os.PathLike)) else [os.fspath(p) for p in db]
    return pandas.read_csv(io.StringIO(_nnmass.runs_csv(paths)))


# ---- docstrings: the keywords each function reads, from the library's option tables ----------

def _options_doc(call, skip=()):
    lines, group = [], None
    for o in json.loads(_nnmass.options(call)):
        if o["name"] in skip:
            continue
        if o["group"] != group:
            group = o["group"]
            lines.append(f"\n    {group}:")
        allowed = f", {o['allowed']}" if o["allowed"] else ""
        default = f" [default: {o['default']}]" if o["default"] and "[default" not in o["help"] else ""
        families = f" ({', '.join(o['families'])})" if o["families"] else ""
        lines.append(f"      {o['name']} ({o['kind']}{allowed}): {o['help']}{families}{default}")
    heading = "\n\n    Keyword arguments (the command line's flags, read by the same option table):"
    return heading + "\n".join(lines) + "\n"


for _function, _call, _skip in [(mass, "spec", ()), (density, "spec", ()), (cost, "spec", ()), (summary, "spec", ()),
                                (specs, "spec", ()), (spec, "spec", ()), (links, "links", ()),
                                (build, "build", ()), (isometry, "isometry", ("data",)),
                                (score, "score", ("data", "proxies")), (score_details, "score", ("data", "proxies"))]:
    _function.__doc__ += _options_doc(_call, _skip)
del _function, _call, _skip
