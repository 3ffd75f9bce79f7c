# CMake toolchain file of the AArch64 cross build (tools/test_aarch64.sh; README,
# "AArch64"). The compiler is Debian's cross g++ (crossbuild-essential-arm64), which
# brings its own C and C++ runtime (/usr/aarch64-linux-gnu); every other library and
# its CMake package come from the sysroot that tools/aarch64_sysroot.sh unpacks from
# Debian 12's arm64 packages. Test programs run under qemu-user: CMake's
# CROSSCOMPILING_EMULATOR makes ctest (and GoogleTest's test discovery) start them
# through it, and model files compiled at run time use the cross compiler.
#   cmake -S . -B build-aarch64 -G Ninja --toolchain cmake/aarch64-linux-gnu.cmake \
#         -DMINIGRAD_AARCH64_SYSROOT=/abs/path/sysroot
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(MINIGRAD_AARCH64_SYSROOT "${CMAKE_BINARY_DIR}/sysroot" CACHE PATH
    "the folder tools/aarch64_sysroot.sh made: Debian 12's arm64 packages, unpacked")
if(NOT EXISTS "${MINIGRAD_AARCH64_SYSROOT}/usr/lib/llvm-19/lib/cmake/llvm/LLVMConfig.cmake")
  message(FATAL_ERROR "MINIGRAD_AARCH64_SYSROOT=${MINIGRAD_AARCH64_SYSROOT} holds no arm64 LLVM 19: "
                      "make it with tools/aarch64_sysroot.sh")
endif()
# Passed on to the try_compile projects CMake configures with this file.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES MINIGRAD_AARCH64_SYSROOT)

# Libraries, headers and CMake packages only from the sysroot (and the cross
# runtime); programs (FileCheck, python3) from the build machine.
set(CMAKE_FIND_ROOT_PATH "${MINIGRAD_AARCH64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# The IR tests' FileCheck and lit run on the build machine (llvm-19-tools): the
# sysroot's LLVM tools are AArch64 programs.
set(MINIGRAD_FILECHECK /usr/lib/llvm-19/bin/FileCheck CACHE FILEPATH "FileCheck of the build machine")
set(MINIGRAD_E2E_FILECHECK /usr/lib/llvm-19/bin/FileCheck CACHE FILEPATH "FileCheck of the build machine")
set(MINIGRAD_LIT /usr/lib/llvm-19/build/utils/lit/lit.py CACHE FILEPATH "lit of the build machine")

# Open MPI from the sysroot (libopenmpi-dev:arm64). FindMPI would otherwise ask the
# build machine's mpicxx or pkg-config, which name the x86-64 headers and libmpi; so
# no wrapper, pkg-config looks only in the sysroot (which has no `mpi-cxx` module:
# Debian makes that name with update-alternatives, which unpacking does not run), and
# the arm64 header folder and library are named outright.
set(ENV{PKG_CONFIG_LIBDIR} "${MINIGRAD_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${MINIGRAD_AARCH64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${MINIGRAD_AARCH64_SYSROOT}")
set(MPI_SKIP_COMPILER_WRAPPER ON)
set(_minigrad_ompi "${MINIGRAD_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu/openmpi")
set(MPI_CXX_ADDITIONAL_INCLUDE_DIRS "${_minigrad_ompi}/include" CACHE STRING "Open MPI's headers (arm64)")
set(MPI_CXX_LIB_NAMES mpi CACHE STRING "the MPI libraries to link")
set(MPI_mpi_LIBRARY "${_minigrad_ompi}/lib/libmpi.so" CACHE FILEPATH "Open MPI's libmpi (arm64)")

# The shared libraries libLLVM needs are found by the linker in the sysroot.
set(_minigrad_rpath_link
    "-Wl,-rpath-link,${MINIGRAD_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu:${MINIGRAD_AARCH64_SYSROOT}/lib/aarch64-linux-gnu")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_minigrad_rpath_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_minigrad_rpath_link}")

# Model files compiled at run time (runtime/model_loader.cpp): by the cross compiler,
# which minigradc under qemu starts as a program of the build machine. The sysroot's
# headers (fmt, which the DSL headers include) come after the cross C library's.
set(MINIGRAD_MODEL_CXX "${CMAKE_CXX_COMPILER} -idirafter ${MINIGRAD_AARCH64_SYSROOT}/usr/include"
    CACHE STRING "the command that compiles model files at run time")

# Test programs and the tools the end-to-end tests call run under qemu, with the
# sysroot as the root of every library path they open.
find_program(MINIGRAD_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${MINIGRAD_QEMU_AARCH64};-L;${MINIGRAD_AARCH64_SYSROOT}")
