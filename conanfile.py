"""Conan 2 recipe for snow, built with Meson (MesonToolchain). Kept in step with
meson.build and meson_options.txt: tests, benchmarks and examples are off for packages.
The package holds libsnow, its headers, the pkg-config and CMake files, and snowc (bin/)."""
from conan import ConanFile
from conan.tools.files import copy
from conan.tools.layout import basic_layout
from conan.tools.meson import Meson, MesonToolchain
from conan.tools.gnu import PkgConfigDeps


class SnowConan(ConanFile):
    name = "snow"
    version = "0.1.0"
    license = "MIT"
    description = "Erlang-style actors for C++20: processes, selective receive, links, supervisors, services"
    topics = ("actors", "erlang", "coroutines", "concurrency")
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}
    # What a build with tests, benchmarks and examples off reads (tests/consumer/
    # recipes_in_step.py configures from exactly these files).
    exports_sources = ("meson.build", "meson_options.txt", "include/*", "src/*", "dsl/*", "LICENSE")

    def layout(self):
        basic_layout(self)

    def requirements(self):
        self.requires("abseil/20220623.1")
        self.requires("libuv/1.44.2")
        # BoringSSL has no ConanCenter package: see generate().

    def build_requirements(self):
        self.tool_requires("meson/[>=1.0]")
        self.tool_requires("pkgconf/[>=1.8]")

    def generate(self):
        tc = MesonToolchain(self)
        tc.project_options["tests"] = False
        tc.project_options["benchmarks"] = False
        tc.project_options["examples"] = False
        # BoringSSL has no ConanCenter package; point -Dboringssl_prefix at an install
        # (e.g. Debian's android-libboringssl-dev is found by default when this is unset).
        boringssl = self.conf.get("user.snow:boringssl_prefix", default="")
        if boringssl:
            tc.project_options["boringssl_prefix"] = boringssl
        tc.generate()
        PkgConfigDeps(self).generate()

    def build(self):
        meson = Meson(self)
        meson.configure()
        meson.build()

    def package(self):
        copy(self, "LICENSE", self.source_folder, self.package_folder + "/licenses")
        Meson(self).install()

    def package_info(self):
        self.cpp_info.libs = ["snow"]
        self.cpp_info.set_property("cmake_file_name", "snow")
        self.cpp_info.set_property("cmake_target_name", "snow::snow")
        self.cpp_info.set_property("pkg_config_name", "snow")
        self.cpp_info.system_libs = ["pthread"]
        self.cpp_info.requires = ["abseil::abseil", "libuv::libuv"]
