"""Closed forms, specs, examples and links from Python, against the command line (no torch)."""
import json
import math
import sys

import pytest

import nnmass

NB201_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"


def test_import_does_not_load_torch():
    import subprocess

    code = "import sys, nnmass; nnmass.mass(family='mlp', width=8, depth=20, tc=7); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_version_is_the_tools(cli):
    assert cli("--version").strip() == f"nnmass {nnmass.__version__}"


@pytest.mark.parametrize("name", nnmass.examples())
def test_examples_equal_the_cli(cli, name):
    expected = cli("mass", "--example", name, "--json")
    assert nnmass.summary(nnmass.example(name)) == expected
    assert nnmass.summary(example=name) == expected
    assert nnmass.mass(nnmass.example(name)) == expected["nn_mass"]
    assert nnmass.density(nnmass.example(name)) == expected["average_density"]
    assert nnmass.cost(nnmass.example(name)) == {k: expected[k] for k in ("params", "macs", "flops")}
    assert nnmass.example(name) == expected["spec"]


@pytest.mark.parametrize("args", [
    ["--arch", "resnet18"],
    ["--arch", "mobilenet_v2", "--width-mult", "1.4"],
    ["--family", "dwcnn", "--depth", "13", "--width", "32:64:128", "--tc", "40:80:125", "--head", "reference"],
    ["--family", "resnet", "--block", "bottleneck", "--layers", "1,2", "--stem", "cifar", "--input", "3,32,32"],
    ["--family", "nb201", "--cell", NB201_CELL],
])
def test_keywords_equal_the_cli_flags(cli, args):
    def typed(text):  # keywords are typed, as in grid files: numbers are numbers
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
        return text

    keywords = {args[i][2:].replace("-", "_"): typed(args[i + 1]) for i in range(0, len(args), 2)}
    expected = cli("mass", *args, "--json")
    assert nnmass.summary(**keywords) == expected
    assert nnmass.summary(expected["spec"]) == expected  # the dict form agrees


def test_paper_numbers_and_forms_agree(tmp_path):
    keywords = dict(family="mlp", width=8, depth=20, tc=100, input=784, classes=10)
    assert round(nnmass.mass(**keywords), 3) == 143.158  # README's example
    assert nnmass.cost(**keywords) == {"params": 17658, "macs": 17496, "flops": 35154}
    spec = nnmass.spec(**keywords)
    assert nnmass.mass(spec) == nnmass.mass(**keywords)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(spec))
    assert nnmass.mass(path) == nnmass.mass(str(path)) == nnmass.mass(spec=str(path)) == nnmass.mass(spec)
    assert nnmass.mass(arch="resnet18") == 3392
    assert nnmass.cost(arch="resnet18")["params"] == 11689512
    # Lists are comma lists; numpy values are accepted.
    import numpy

    assert nnmass.mass(family="cnn", depth=numpy.int64(13), width="32:64:128", tc="40:80:125",
                       input=numpy.array([3, 32, 32])) == nnmass.mass(
        family="cnn", depth=13, width="32:64:128", tc="40:80:125", input=[3, 32, 32])


def test_grids_expand_and_single_model_functions_refuse_them():
    grid = nnmass.specs(family="mlp", width=8, depth="16,24,32", tc=[0, 4, 8])
    assert len(grid) == 9
    assert [s["cells"][0]["depth"] for s in grid[::3]] == [16, 24, 32]
    with pytest.raises(nnmass.SpecError, match=r"mass\(\): the keywords describe 9 models"):
        nnmass.mass(family="mlp", width=8, depth="16,24,32", tc=[0, 4, 8])


@pytest.mark.parametrize("call, message", [
    (lambda: nnmass.mass(family="mlp", width=8, depth=2, tc=0), "--depth"),
    (lambda: nnmass.mass(family="mlp", width=8, dpeth=20, tc=0), 'mass(): unknown field "dpeth"'),
    (lambda: nnmass.mass(family="mlp", width=8.5, depth=20, tc=0), "width"),
    (lambda: nnmass.mass(family="mlp", width=8, depth=20, tc=0, head="gap"), "--head applies to cnn, dwcnn"),
    (lambda: nnmass.mass(family="mlp", width=8, depth=20, tc=0, classes=0), "mass(): classes must be"),
    (lambda: nnmass.mass(family="mlp", width=8, depth=20, tc=0, classes=math.nan), "classes must be a finite number"),
    (lambda: nnmass.mass(family="lstm"), "mass(): family must be one of"),
    (lambda: nnmass.mass(), "no architecture given"),
    (lambda: nnmass.mass({"family": "mlp", "input": [784], "classes": 10,
                          "cells": [{"depth": 0, "width": 8, "tc": 0}]}), "cells[0].depth"),
    (lambda: nnmass.mass({"family": "mlp", "input": [784], "classes": 10, "colour": 1,
                          "cells": [{"depth": 20, "width": 8, "tc": 0}]}), "colour"),
    (lambda: nnmass.mass(nnmass.example("mnist_mlp"), classes=100), "keyword classes cannot be combined"),
    (lambda: nnmass.example("paper_mlp"), "mnist_mlp"),
    (lambda: nnmass.links(arch="resnet18"), "dense families"),
])
def test_bad_input_raises_value_error_naming_the_field(call, message):
    with pytest.raises(ValueError) as e:
        call()
    assert isinstance(e.value, nnmass.SpecError) and isinstance(e.value, nnmass.Error)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_missing_file_raises_os_error(tmp_path):
    with pytest.raises(OSError) as e:
        nnmass.mass(tmp_path / "missing.json")
    assert isinstance(e.value, nnmass.IoError)
    assert "missing.json" in str(e.value)
    (tmp_path / "broken.json").write_text('{"family": ')
    with pytest.raises(OSError, match="broken.json"):
        nnmass.mass(tmp_path / "broken.json")


def test_links_round_trip():
    spec = nnmass.spec(family="mlp", width=8, depth=10, tc=12)
    links = nnmass.links(spec, seed=3)
    again = json.loads(json.dumps(links))
    assert again == links == nnmass.links(spec, seed=3)
    assert links != nnmass.links(spec, seed=4)
    assert links == nnmass.links(family="mlp", width=8, depth=10, tc=12, seed=3)
    assert nnmass.links(spec) == nnmass.links(spec, seed=0)
    with pytest.raises(nnmass.SpecError, match='links\\(\\): unknown field "init"'):
        nnmass.links(spec, init="gaussian")
    # Each layer i >= 2 takes t_i = min(w (i - 1), t_c) sources.
    assert links["seed"] == 3 and links["pool"] == "paper"
    counts = [len(layer) for layer in links["cells"][0]["layers"]]
    assert counts == [0, 0] + [min(8 * (i - 1), 12) for i in range(2, 10)]


def test_docstrings_list_the_keywords():
    assert "width_mult" in nnmass.mass.__doc__
    assert "lanczos_steps" in nnmass.isometry.__doc__
    assert "zen_repeats" in nnmass.score.__doc__
