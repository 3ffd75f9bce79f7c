#!/usr/bin/env bash
# Makes the AArch64 sysroot of the cross build (tools/test_aarch64.sh): the arm64
# packages of Debian 12 that minigrad builds and runs against (LLVM 19, GoogleTest,
# fmt, zlib, toml++, Open MPI, the header-only libraries, and the C/C++ runtime with
# the shared libraries they need), downloaded with `apt-get download` and unpacked with
# `dpkg-deb -x` into one folder. Nothing is installed for arm64 (llvm-19-dev:arm64
# cannot sit beside the native llvm-19-dev), so the x86 packages stay as they are.
#   tools/aarch64_sysroot.sh DIR     makes DIR (again, from scratch) unless DIR/.complete
#                                    names the same package list
# Needs the arm64 architecture in dpkg (`dpkg --add-architecture arm64` and an
# `apt-get update`: tools/test_aarch64.sh does both).
set -euo pipefail
dir="${1:?usage: tools/aarch64_sysroot.sh SYSROOT_DIR}"

# What the build links or includes, then each shared library they need at run time
# (the closure is checked below: a missing one is an error naming it).
packages=(libc6 libc6-dev linux-libc-dev libcrypt1 libgcc-s1 libstdc++6
  libllvm19 llvm-19-dev llvm-19 llvm-19-linker-tools libedit2 libbsd0 libmd0 libtinfo6 libncurses6 libncursesw6 libncurses-dev
  libffi8 libffi-dev libxml2 libxml2-dev libicu72 liblzma5 libz3-4 libz3-dev libzstd1 libgomp1
  zlib1g zlib1g-dev libgtest-dev libgmock-dev libfmt9 libfmt-dev libtomlplusplus3 libtomlplusplus-dev
  libopenmpi-dev libopenmpi3 libevent-core-2.1-7 libevent-pthreads-2.1-7 libhwloc15 libudev1 libpmix2
  libfabric1 libatomic1 libibverbs1 ibverbs-providers libnl-3-200 libnl-route-3-200 librdmacm1 libucx0 libnuma1)
# Open MPI (runtime/distributed links libmpi): its headers and libmpi.so are in
# usr/lib/aarch64-linux-gnu/openmpi/ (cmake/aarch64-linux-gnu.cmake names them to
# FindMPI); the rest is what libmpi and the libraries beside it need to load. Its MCA
# plugins and mpirun are not used: nothing under qemu starts MPI (README, "AArch64").
# Header-only libraries: architecture `all`, so named without :arm64.
arch_all=(libcli11-dev nlohmann-json3-dev libeigen3-dev)
stamp="${packages[*]} ${arch_all[*]}"
if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$stamp" ]; then exit 0; fi

rm -rf "$dir"
mkdir -p "$dir/.debs"
dir="$(cd "$dir" && pwd)"
echo "aarch64 sysroot: downloading $((${#packages[@]} + ${#arch_all[@]})) arm64 packages into $dir"
# apt-get download writes into the current folder; as root it warns that the _apt
# user cannot write there, which is harmless.
(cd "$dir/.debs" && apt-get download -qq "${packages[@]/%/:arm64}" "${arch_all[@]}" 2> >(grep -v 'unsandboxed as root' >&2))
for deb in "$dir"/.debs/*.deb; do dpkg-deb -x "$deb" "$dir"; done
rm -rf "$dir/.debs"

# Absolute symbolic links point into the host's /: make them relative, inside the sysroot.
while IFS= read -r link; do
  target="$(readlink "$link")"
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$dir$target")" "$link"
done < <(find "$dir" -type l -lname '/*')

# Every shared library that libLLVM and the others need must be here (a missing one
# would only show up as a link error or at run time under qemu).
missing=()
while IFS= read -r lib; do
  for need in $(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$dir/lib/aarch64-linux-gnu/$need" ] || [ -e "$dir/usr/lib/aarch64-linux-gnu/$need" ] ||
      [ -e "$dir/lib/$need" ] || missing+=("$need (needed by ${lib#"$dir"/})")
  done
done < <(find "$dir/usr/lib/aarch64-linux-gnu" "$dir/lib/aarch64-linux-gnu" -maxdepth 1 -name '*.so*' -type f)
if [ ${#missing[@]} -gt 0 ]; then
  printf 'aarch64 sysroot: a library is missing: %s\n' "${missing[@]}" >&2
  exit 1
fi
echo "$stamp" > "$dir/.complete"
