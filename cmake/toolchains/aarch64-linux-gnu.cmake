# A toolchain file for aarch64 Linux from an x86-64 Debian machine (docs/cross.md):
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=<fastboot>/cmake/toolchains/aarch64-linux-gnu.cmake
# Debian: g++-aarch64-linux-gnu, qemu-user-static, and the arm64 libraries the program links and
# runs with (dpkg --add-architecture arm64; fastboot's runtime needs libzstd-dev:arm64
# liblz4-dev:arm64 libfmt-dev:arm64, which bring libc6:arm64 and libstdc++6:arm64).
# fastboot_bake() runs the program under the emulator to bake it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# The arm64 libraries are Debian's multiarch ones (/usr/lib/aarch64-linux-gnu), which CMake
# finds by the compiler's library architecture, and which the emulator loads the program with:
# its dynamic linker is libc6:arm64's /lib/ld-linux-aarch64.so.1. (Not `-L /usr/aarch64-linux-gnu`
# beside them: the cross toolchain's dynamic linker with libc6:arm64's C library, another
# build of glibc, hangs in the first pthread_create.)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static)
