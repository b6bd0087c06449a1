"""Conan 2 recipe for snow, built with Meson (MesonToolchain). Kept in step with
meson.build and meson_options.txt (tests/consumer/recipes_in_step.py checks it): tests,
benchmarks and examples are off for packages. The package holds libsnow, libsnow_testing
and libsnow_lang (static or shared, as the `shared` option says), their headers and snowc
(bin/); consumers get their
CMake and pkg-config files from Conan's generators, made from package_info()."""
import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy, rmdir
from conan.tools.gnu import PkgConfigDeps
from conan.tools.layout import basic_layout
from conan.tools.meson import Meson, MesonToolchain
from conan.tools.scm import Version

required_conan_version = ">=2.0.9"


class SnowConan(ConanFile):
    name = "snow"
    version = "0.1.0"
    license = "MIT"
    description = "Erlang-style actors for C++20: processes, selective receive, links, supervisors, services"
    topics = ("actors", "erlang", "coroutines", "concurrency")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False]}
    default_options = {"shared": False, "fPIC": True}
    # What a build with tests, benchmarks and examples off reads (tests/consumer/
    # recipes_in_step.py configures from exactly these files).
    exports_sources = ("meson.build", "meson_options.txt", "include/*", "src/*", "dsl/*", "LICENSE")
    # The oldest compilers that build snow's coroutines and defaulted comparisons.
    _minimum_compilers = {"gcc": "12", "clang": "14"}

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        basic_layout(self)

    def requirements(self):
        # snow's public headers include Abseil's (absl/status/status.h, absl/time/time.h...):
        # a consumer compiles against them, so they are transitive.
        self.requires("abseil/20220623.1", transitive_headers=True)
        # libuv and BoringSSL are used inside libsnow only; a static libsnow still needs
        # them at link time, which Conan gives consumers from these requirements.
        self.requires("libuv/1.44.2")
        self.requires("boringssl/0.20251124.0")

    def build_requirements(self):
        self.tool_requires("meson/[>=1.0]")
        self.tool_requires("pkgconf/[>=1.8]")

    def validate(self):
        check_min_cppstd(self, 20)
        minimum = self._minimum_compilers.get(str(self.settings.compiler))
        if minimum and Version(self.settings.compiler.version) < minimum:
            raise ConanInvalidConfiguration(
                f"snow needs {self.settings.compiler} {minimum} or newer (C++20 coroutines)")

    def generate(self):
        tc = MesonToolchain(self)
        tc.project_options["tests"] = False
        tc.project_options["benchmarks"] = False
        tc.project_options["examples"] = False
        # A static libuv from its own CMake (Conan's) has only libuv-static.pc.
        tc.project_options["libuv_pkgconfig"] = "libuv" if self.dependencies["libuv"].options.shared else "libuv-static"
        # BoringSSL has no pkg-config file of its own: Meson looks in its package folder.
        tc.project_options["boringssl_prefix"] = self.dependencies["boringssl"].package_folder.replace("\\", "/")
        # MesonToolchain passes default_library from the `shared` option.
        tc.generate()
        PkgConfigDeps(self).generate()

    def build(self):
        meson = Meson(self)
        meson.configure()
        meson.build()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        Meson(self).install()
        # These name the build machine's paths; Conan's generators (CMakeDeps,
        # PkgConfigDeps) make the consumer's from package_info(). ConanCenter's hooks
        # refuse packages that ship them (KB-H016 for CMake config files, KB-H020 for .pc).
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))

    def package_info(self):
        # Three libraries, as `meson install` lays them out: libsnow (snow::snow, snow.pc),
        # libsnow_testing, the simulated network for tests (snow::testing,
        # snow-testing.pc), and libsnow_lang, the Snow language's support that programs
        # snowc generates link (snow::lang, snow-lang.pc). The root target is the core
        # component's, so that find_package(snow) + snow::snow links libsnow alone.
        self.cpp_info.set_property("cmake_file_name", "snow")
        self.cpp_info.set_property("cmake_target_name", "snow::snow")
        self.cpp_info.set_property("pkg_config_name", "snow")
        self.cpp_info.components["core"].libs = ["snow"]
        self.cpp_info.components["core"].set_property("cmake_target_name", "snow::snow")
        self.cpp_info.components["core"].set_property("pkg_config_name", "snow")
        self.cpp_info.components["core"].system_libs = ["pthread", "dl"]
        self.cpp_info.components["core"].requires = ["abseil::abseil", "libuv::libuv", "boringssl::ssl", "boringssl::crypto"]
        self.cpp_info.components["testing"].libs = ["snow_testing"]
        self.cpp_info.components["testing"].set_property("cmake_target_name", "snow::testing")
        self.cpp_info.components["testing"].set_property("pkg_config_name", "snow-testing")
        self.cpp_info.components["testing"].requires = ["core"]
        self.cpp_info.components["lang"].libs = ["snow_lang"]
        self.cpp_info.components["lang"].set_property("cmake_target_name", "snow::lang")
        self.cpp_info.components["lang"].set_property("pkg_config_name", "snow-lang")
        self.cpp_info.components["lang"].requires = ["core"]
