#!/usr/bin/env bash
# Makes sure the original Fashion-MNIST IDX files are on this machine, looking where m2vaal_tf
# looks without --data_dir (m2vaal_tf/data/idx.py, locate_fashion_mnist): the Debian package's
# directory, then the Keras cache.
# When none has them and we may use apt-get (root, or password-less sudo), installs the Debian
# package `dataset-fashion-mnist`; otherwise says how to get the files and fails.
set -euo pipefail

files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
has_all() { local d=$1; for f in "${files[@]}"; do [ -s "$d/$f" ] || return 1; done; }

for dir in /usr/share/datasets/fashion-mnist "$HOME/.keras/datasets/fashion-mnist"; do
  if has_all "$dir"; then echo "Fashion-MNIST: $dir"; exit 0; fi
done

if command -v apt-get >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=none; fi
  if [ "$sudo" != none ]; then
    echo "Fashion-MNIST not found: installing the Debian package dataset-fashion-mnist"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null
    if has_all /usr/share/datasets/fashion-mnist; then echo "Fashion-MNIST: /usr/share/datasets/fashion-mnist"; exit 0; fi
  fi
fi

cat >&2 <<MSG
error: Fashion-MNIST not found. Get the four original IDX files in one of these ways:
  - Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist   (files in /usr/share/datasets/fashion-mnist)
  - by hand: put ${files[*]}
    into ~/.keras/datasets/fashion-mnist, or into any directory DIR and pass --data_dir=DIR
MSG
exit 1
