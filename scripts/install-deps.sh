#!/usr/bin/env bash
# Installs every Debian package nnmass needs to build, test and run. Idempotent: when everything is
# present it only checks (well under a second) and installs nothing.
#   usage: scripts/install-deps.sh [--bench]   (--bench adds GNU time for the side-by-side benchmarks)
set -euo pipefail

packages=(
  build-essential cmake pkg-config       # toolchain
  libtorch-dev                           # networks, autograd, optimisers (libtorch 1.13)
  libopenblas0-openmp                    # BLAS for torch, OpenMP build so its threads follow torch's
  nlohmann-json3-dev                     # specs and --json output
  libcli11-dev                           # the command line
  libsqlite3-dev                         # results database
  zlib1g-dev                             # gzip IDX files
  libfmt-dev                             # formatting
  libgtest-dev libbenchmark-dev          # tests and benchmarks
  clang libfuzzer-14-dev                 # fuzzing harnesses (fuzz/, scripts/fuzz-smoke.sh)
  libclang-rt-14-dev                     # their runtimes: libFuzzer, ASan, UBSan (only recommended)
  gnuplot-nox                            # plots
  dataset-fashion-mnist                  # the default data set
  python3-torch python3-torchvision      # PyTorch interoperability tests (TorchScript models, proxies)
  python3-numpy python3-pil                # PIL: image-folder benchmark and scripts beside torchvision
  python3-dev pybind11-dev               # the Python module (python/)
  python3-pytest python3-pandas          # its tests; runs read into pandas
  libturbojpeg0-dev libpng-dev           # image folders: JPEG and PNG decoding
)
if [[ "${1:-}" == "--bench" ]]; then packages+=(time); fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
