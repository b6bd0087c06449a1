#!/usr/bin/env python3
"""The Conan recipe and the vcpkg port stay in step with meson.build.

Neither conan nor vcpkg is packaged for Debian, so this test does what each would do
first, without them: it configures snow with Meson from exactly what the recipe ships
(Conan's exports_sources) or from the tree (vcpkg's overlay port), with exactly the
options the recipe passes. A new subdir() or file that a recipe does not ship, an option
that meson_options.txt no longer has, or a version that drifted, fails here.

    recipes_in_step.py SOURCE_ROOT
"""
import ast
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def meson_version(root):
    m = re.search(r"version:\s*'([^']+)'", open(os.path.join(root, "meson.build")).read())
    return m.group(1)


def meson_option_names(root):
    return set(re.findall(r"option\('([^']+)'", open(os.path.join(root, "meson_options.txt")).read()))


def conan_recipe(root):
    """The SnowConan class's literal attributes and the project options generate() sets
    (name -> value when it is a constant, else None)."""
    tree = ast.parse(open(os.path.join(root, "conanfile.py")).read())
    attrs, options = {}, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
                    try:
                        attrs[stmt.targets[0].id] = ast.literal_eval(stmt.value)
                    except ValueError:
                        pass
        # tc.project_options["name"] = value
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
            if (isinstance(target.value, ast.Attribute) and target.value.attr == "project_options"
                    and isinstance(target.slice, ast.Constant)):
                options[target.slice.value] = node.value.value if isinstance(node.value, ast.Constant) else None
    return attrs, options, tree


def calls(tree, name):
    """The calls to `name` (a function or a method) in the tree."""
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and ((isinstance(n.func, ast.Name) and n.func.id == name)
                 or (isinstance(n.func, ast.Attribute) and n.func.attr == name))]


def string_args(call):
    return [a.value for a in call.args if isinstance(a, ast.Constant)]


# Which port (host dependency) provides each vcpkg_* helper a portfile may call; the
# helpers built into vcpkg itself need none. A helper missing here fails the test, so a
# new one is looked up rather than forgotten.
VCPKG_HELPER_PORTS = {
    "vcpkg_configure_meson": "vcpkg-tool-meson",
    "vcpkg_install_meson": "vcpkg-tool-meson",
    "vcpkg_cmake_configure": "vcpkg-cmake",
    "vcpkg_cmake_install": "vcpkg-cmake",
    "vcpkg_cmake_config_fixup": "vcpkg-cmake-config",
    "vcpkg_fixup_pkgconfig": None,
    "vcpkg_install_copyright": None,
    "vcpkg_copy_tools": None,
    "vcpkg_from_github": None,
    "vcpkg_replace_string": None,
    "vcpkg_clean_executables_in_bin": None,
}


def exported_files(root, patterns):
    """The files Conan's exports_sources patterns select (fnmatch on paths from the root)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and not d.startswith("build")]
        for f in filenames:
            rel = os.path.relpath(os.path.join(dirpath, f), root)
            if any(fnmatch.fnmatch(rel, p) for p in patterns):
                out.append(rel)
    return out


def meson_setup(source, options, what):
    with tempfile.TemporaryDirectory() as build:
        r = subprocess.run(["meson", "setup", build, source] + options, capture_output=True, text=True)
        check(r.returncode == 0, what + ("" if r.returncode == 0 else ":\n" + (r.stdout + r.stderr)[-2000:]))


def main():
    root = os.path.abspath(sys.argv[1])
    version = meson_version(root)
    known_options = meson_option_names(root)

    # Conan 2: conanfile.py
    attrs, conan_options, recipe = conan_recipe(root)
    check(attrs.get("version") == version, "conanfile.py version %s matches meson.build's %s" % (attrs.get("version"), version))
    unknown = set(conan_options) - known_options
    check(not unknown, "conanfile.py sets only options meson_options.txt has (unknown: %s)" % sorted(unknown))
    check(any(string_args(c) == [20] for c in calls(recipe, "check_min_cppstd")),
          "conanfile.py validates C++20 (check_min_cppstd(self, 20)): a gnu17 profile is refused, not miscompiled")
    requires = {string_args(c)[0].split("/")[0]: c for c in calls(recipe, "requires") if string_args(c)}
    check("abseil" in requires and any(k.arg == "transitive_headers" and getattr(k.value, "value", False)
                                       for k in requires["abseil"].keywords),
          "conanfile.py requires abseil with transitive_headers=True (snow's headers include Abseil's)")
    check("boringssl" in requires, "conanfile.py requires boringssl (libsnow.a needs libssl and libcrypto)")
    check("libuv_pkgconfig" in conan_options, "conanfile.py tells Meson libuv's pkg-config name (libuv-static when static)")
    check("default_library" not in conan_options,
          "conanfile.py leaves default_library to MesonToolchain (set from the shared option)")
    removed = {"/".join(string_args(c)) for c in calls(recipe, "join") if string_args(c) in (["lib", "cmake"], ["lib", "pkgconfig"])}
    check(removed == {"lib/cmake", "lib/pkgconfig"} and calls(recipe, "rmdir"),
          "conanfile.py removes lib/cmake and lib/pkgconfig (build-machine paths; Conan generates the consumer's)")
    with tempfile.TemporaryDirectory() as shipped:
        for rel in exported_files(root, attrs["exports_sources"]):
            os.makedirs(os.path.join(shipped, os.path.dirname(rel)), exist_ok=True)
            shutil.copy2(os.path.join(root, rel), os.path.join(shipped, rel))
        meson_setup(shipped, ["-D%s=%s" % (o, str(v).lower()) for o, v in sorted(conan_options.items()) if isinstance(v, bool)],
                    "Meson configures from the Conan recipe's exports_sources alone")

    # vcpkg: ports/snow
    import json
    manifest = json.load(open(os.path.join(root, "ports/snow/vcpkg.json")))
    check(manifest["version"] == version, "vcpkg.json version %s matches meson.build's %s" % (manifest["version"], version))
    portfile = open(os.path.join(root, "ports/snow/portfile.cmake")).read()
    port_options = re.findall(r"-D(\w+)=([\w$]*)", portfile)
    unknown = {name for name, _ in port_options} - known_options
    check(not unknown, "portfile.cmake passes only options meson_options.txt has (unknown: %s)" % sorted(unknown))
    host_ports = {d["name"] for d in manifest["dependencies"] if isinstance(d, dict) and d.get("host")}
    for helper in sorted(set(re.findall(r"^\s*(vcpkg_\w+)\s*\(", portfile, re.M))):
        if helper not in VCPKG_HELPER_PORTS:
            check(False, "portfile.cmake's %s is in this test's table of helpers" % helper)
        elif VCPKG_HELPER_PORTS[helper]:
            check(VCPKG_HELPER_PORTS[helper] in host_ports,
                  "vcpkg.json lists host dependency %s for portfile.cmake's %s" % (VCPKG_HELPER_PORTS[helper], helper))
    check(re.search(r"vcpkg_copy_tools\(TOOL_NAMES snowc", portfile) is not None,
          "portfile.cmake moves snowc to tools/snow (vcpkg's place for tools)")
    check(os.path.exists(os.path.join(root, "ports/snow/usage")) and "usage" in portfile,
          "the port installs a usage file")
    check("libuv_pkgconfig" in portfile, "portfile.cmake tells Meson libuv's pkg-config name for static triplets")
    meson_setup(root, ["-D%s=%s" % (n, v) for n, v in port_options if "$" not in v],
                "Meson configures with the vcpkg port's options")

    print("recipes: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
