"""Networks from Python with real PyTorch (Debian's python3-torch, the same libtorch as nnmass):
building, model files, isometry, proxies and TorchScript models, against the command line."""
import json
import math
import subprocess
import sys

import numpy
import pytest
import torch

import nnmass

SMALL_CNN = dict(family="cnn", depth=4, width=4, tc=4, input=[1, 8, 8])


@pytest.mark.parametrize("first", ["torch", "nnmass"])
def test_torch_and_the_module_coexist_in_either_import_order(first):
    second = "nnmass" if first == "torch" else "torch"
    code = (f"import {first}, {second}\n"
            "m = nnmass.build(nnmass.example('mnist_mlp'))\n"
            "y = m(torch.randn(3, 784))\n"
            "print(tuple(y.shape), float(torch.ones(2, 2).sum()))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "(3, 10) 4.0"


@pytest.mark.parametrize("keywords", [
    dict(example="mnist_mlp"),
    SMALL_CNN,
    dict(family="dwcnn", depth=4, width=4, tc=4, input=[3, 8, 8], head="reference"),
    dict(family="resnet", layers="1,1", stem="cifar", input=[3, 16, 16], classes=10),
    dict(family="mobilenet_v2", width_mult=0.25, block_repeats="1,1,1,1,1,1,1", stem="cifar",
         input=[3, 16, 16], classes=10),
    dict(family="nb201", cell="|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|",
         channels=4, cells_per_stage=1, input=[3, 16, 16]),
])
def test_build_gives_a_runnable_module_with_the_closed_form_parameter_count(keywords):
    module = nnmass.build(**keywords)
    assert isinstance(module, torch.jit.ScriptModule)
    spec = nnmass.spec(**keywords)
    y = module(torch.randn(5, *spec["input"]))
    assert tuple(y.shape) == (5, spec["classes"])
    assert torch.isfinite(y).all()
    assert sum(p.numel() for p in module.parameters()) == nnmass.cost(spec)["params"]
    assert json.loads(module.nnmass_spec) == spec


def test_build_is_seeded_and_takes_links(cli, tmp_path):
    spec = nnmass.spec(family="mlp", width=8, depth=10, tc=12)
    x = torch.randn(4, 784)
    a, b = nnmass.build(spec, seed=7), nnmass.build(spec, seed=7)
    assert torch.equal(a(x), b(x))
    assert not torch.equal(a(x), nnmass.build(spec, seed=8)(x))
    links = nnmass.links(spec, seed=7)
    assert json.loads(a.nnmass_links) == links
    # The same links and weights through the links dict: the same network.
    assert torch.equal(nnmass.build(spec, seed=7, links=json.loads(json.dumps(links)))(x), a(x))
    other = nnmass.build(spec, seed=0, links=links)
    assert json.loads(other.nnmass_links) == links
    # The command line draws the same links from the same seed; its links file builds the same network.
    cli("build", "--family", "mlp", "--width", 8, "--depth", 10, "--tc", 12, "--seed", 7,
        "--links-out", tmp_path / "links.json")
    assert json.loads((tmp_path / "links.json").read_text()) == links
    assert torch.equal(nnmass.build(spec, seed=7, links=tmp_path / "links.json")(x), a(x))
    broken = json.loads(json.dumps(links))
    broken["cells"][0]["layers"].pop()
    with pytest.raises(nnmass.SpecError):
        nnmass.build(spec, links=broken)
    with pytest.raises(nnmass.SpecError, match="build\\(\\): unknown field \"colour\""):
        nnmass.build(spec, colour=1)
    with pytest.raises(nnmass.SpecError, match="init must be one of"):
        nnmass.build(spec, init="uniform")


def test_library_calls_leave_the_callers_torch_state_alone():
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    torch.set_num_threads(1)
    nnmass.build(nnmass.example("mnist_mlp"), seed=5)
    nnmass.isometry(nnmass.example("mnist_mlp"), data=numpy.random.rand(4, 784), threads=2)
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == 1


def test_load_reads_a_model_file_of_the_cli(cli, tmp_path):
    path = tmp_path / "model.pt"
    cli("build", "--example", "mnist_mlp", "--seed", "3", "--save", path)
    module, spec = nnmass.load(path)
    assert spec == nnmass.example("mnist_mlp")
    x = torch.randn(2, 784)
    assert torch.allclose(module(x), nnmass.build(spec, seed=3)(x), atol=1e-6)
    (tmp_path / "junk.pt").write_text("not a model\n")
    with pytest.raises(OSError, match="junk.pt"):
        nnmass.load(tmp_path / "junk.pt")


def test_isometry_of_an_mlp_equals_the_cli(cli):
    expected = cli("isometry", "--example", "mnist_mlp", "--samples", "200", "--seed", "2", "--json")
    r = nnmass.isometry(nnmass.example("mnist_mlp"), samples=200, seed=2)
    assert len(r["layers"]) == 20  # the MLP's d = 20 layers, classifier included
    assert r["samples"] == 200 and r["data"] == "fashion-mnist"
    assert r["mean"] == pytest.approx(expected["mean"], rel=1e-9)
    assert r["std"] == pytest.approx(expected["std"], rel=1e-9)
    assert [l["name"] for l in r["layers"]] == [l["name"] for l in expected["repeats"][0]["layers"]]


def test_isometry_takes_arrays_and_conv_networks():
    rng = numpy.random.default_rng(0)
    r = nnmass.isometry(family="mlp", width=8, depth=6, tc=4, data=rng.random((16, 1, 28, 28)))
    assert r["samples"] == 16 and len(r["layers"]) == 6 and r["mean"] > 0
    r = nnmass.isometry(**SMALL_CNN, data=rng.random((3, 1, 8, 8)), method="exact")
    assert len(r["layers"]) == 4  # one per conv layer of the cell
    assert all(l["rows"] == 4 * 64 and l["error"]["method"] == "exact" for l in r["layers"])
    assert math.isfinite(r["mean"]) and r["mean"] > 0
    with pytest.raises(nnmass.SpecError, match="a sample has 784 values"):
        nnmass.isometry(**SMALL_CNN, data=rng.random((3, 784)))
    # Without input=, the keywords' spec takes the arrays' sample shape (as it takes a data set's).
    r = nnmass.isometry(family="cnn", depth=3, width=2, tc=2, data=rng.random((2, 1, 6, 6)))
    assert r["spec"]["input"] == [1, 6, 6] and len(r["layers"]) == 3
    with pytest.raises(nnmass.SpecError, match="derivative applies to mlp only"):
        nnmass.isometry(**SMALL_CNN, data=rng.random((3, 1, 8, 8)), derivative="reference")
    with pytest.raises(nnmass.SpecError, match="isometry\\(\\): samples must be"):
        nnmass.isometry(nnmass.example("mnist_mlp"), samples=0)


def test_proxy_catalogue():
    catalogue = nnmass.proxies()
    names = [p["name"] for p in catalogue]
    assert "synflow" in names and "naswot" in names and len(names) == len(set(names)) == 10
    assert all(isinstance(p["needs_data"], bool) and p["direction"] in (1, -1) for p in catalogue)


def test_score_of_a_spec_equals_the_cli(cli, tmp_path):
    args = ["--family", "cnn", "--depth", "4", "--width", "4", "--tc", "4", "--input", "1,8,8"]
    expected = cli("score", *args, "--proxies", "data-free", "--no-data", "--seed", "1", "--jobs", "1",
                   "--db", tmp_path / "s.sqlite", "--json")["runs"][0]
    scores = nnmass.score(proxies="data-free", no_data=True, seed=1, **SMALL_CNN)
    assert set(scores) == {"nn_mass", "density", "params", "macs", "flops", "synflow", "zen", "meco"}
    for name in ("synflow", "zen", "meco"):
        assert math.isfinite(scores[name])
        assert scores[name] == pytest.approx(expected["proxies"][name], rel=1e-9)
    assert scores["nn_mass"] == nnmass.mass(**SMALL_CNN)
    assert scores["params"] == expected["params"]


def test_score_reads_fashion_mnist_by_default_like_the_cli(cli, tmp_path):
    args = ["--family", "cnn", "--depth", "4", "--width", "4", "--tc", "4"]  # input and classes from the data
    expected = cli("score", *args, "--proxies", "naswot,grad_norm", "--jobs", "1", "--db", tmp_path / "s.sqlite",
                   "--json")["runs"][0]
    details = nnmass.score_details(family="cnn", depth=4, width=4, tc=4, proxies=["naswot", "grad_norm"])
    assert details["data"] == expected["data"] == "fashion-mnist"
    for name in ("naswot", "grad_norm"):
        assert details["scores"][name] == pytest.approx(expected["proxies"][name], rel=1e-9)
    assert details["scores"]["params"] == expected["params"]


def test_score_with_data_arrays_and_names():
    rng = numpy.random.default_rng(0)
    data = (rng.random((32, 784)), rng.integers(0, 10, 32))
    scores = nnmass.score(nnmass.example("mnist_mlp"), ["grad_norm", "snip", "synflow"], data=data, batch_size=8)
    assert all(math.isfinite(scores[p]) for p in ("grad_norm", "snip", "synflow"))
    few_labels = (rng.random((8, 1, 28, 28)), numpy.zeros(8, dtype=int))  # labels below the spec's classes
    assert math.isfinite(nnmass.score(nnmass.example("mnist_mlp"), "naswot", data=few_labels, batch_size=8)["naswot"])
    with pytest.raises(nnmass.SpecError, match="has 10 classes, arrays has 12"):
        nnmass.score(nnmass.example("mnist_mlp"), "naswot", data=(rng.random((8, 784)), numpy.full(8, 11)))
    details = nnmass.score_details(nnmass.example("mnist_mlp"), "synflow", no_data=True)
    assert details["data"] == "none" and details["seconds"]["synflow"] >= 0
    with pytest.raises(nnmass.SpecError, match="naswot cannot score mlp"):
        nnmass.score(nnmass.example("mnist_mlp"), "naswot", no_data=True)
    with pytest.raises(nnmass.SpecError, match="proxies"):
        nnmass.score(nnmass.example("mnist_mlp"), "flops_per_watt", no_data=True)


def test_torchvision_resnet18_scores_and_summarizes_as_the_closed_form():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10).eval()
    closed = nnmass.summary(arch="resnet18", classes=10, input=[3, 32, 32])
    scores = nnmass.score(model, "synflow", example_input=torch.randn(1, 3, 32, 32))
    assert scores["nn_mass"] == pytest.approx(3392, abs=1e-9)
    assert scores["params"] == closed["params"] == sum(p.numel() for p in model.parameters())
    assert math.isfinite(scores["synflow"])
    summary = nnmass.summarize(model, (3, 32, 32))  # scripted, not traced
    assert summary["nn_mass"] == pytest.approx(3392, abs=1e-9)
    assert (summary["params"], summary["macs"], summary["flops"]) == (closed["params"], closed["macs"], closed["flops"])
    assert summary["classes"] == 10
    with pytest.raises(nnmass.SpecError, match="input_shape"):
        nnmass.summarize(model)


def test_read_runs_of_a_tiny_sweep(cli, tmp_path):
    db = tmp_path / "runs" / "sweep.sqlite"
    cli("sweep", "--data", "circle", "--limit-train", "240", "--limit-test", "60", "--family", "mlp", "--width", "4",
        "--depth", "4,5", "--tc", "0,1", "--seeds", "0,1", "--epochs", "1", "--ldi-samples", "8", "--jobs", "1",
        "--db", db)
    runs = nnmass.read_runs(db)
    assert len(runs) == 8
    assert (runs["status"] == "ok").all()
    assert set(runs["depth"]) == {4, 5} and set(runs["seed"]) == {0, 1}
    assert runs["test_acc"].between(0, 1).all()
    for _, row in runs.iterrows():
        assert row["nn_mass"] == nnmass.mass(json.loads(row["spec_json"]))
    assert len(nnmass.read_runs([db, db])) == 8  # shards merged by run key
    (tmp_path / "junk.sqlite").write_text("not a database")
    with pytest.raises(OSError, match="junk.sqlite"):
        nnmass.read_runs(tmp_path / "junk.sqlite")
