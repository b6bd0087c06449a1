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
    """The SnowConan class's literal attributes and the project options generate() sets."""
    tree = ast.parse(open(os.path.join(root, "conanfile.py")).read())
    attrs, options = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
                    try:
                        attrs[stmt.targets[0].id] = ast.literal_eval(stmt.value)
                    except ValueError:
                        pass
        # tc.project_options["name"] = ...
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                and node.value.attr == "project_options" and isinstance(node.slice, ast.Constant)):
            options.add(node.slice.value)
    return attrs, options


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
    attrs, conan_options = conan_recipe(root)
    check(attrs.get("version") == version, "conanfile.py version %s matches meson.build's %s" % (attrs.get("version"), version))
    unknown = conan_options - known_options - {"boringssl_prefix"}
    check(not unknown, "conanfile.py sets only options meson_options.txt has (unknown: %s)" % sorted(unknown))
    with tempfile.TemporaryDirectory() as shipped:
        for rel in exported_files(root, attrs["exports_sources"]):
            os.makedirs(os.path.join(shipped, os.path.dirname(rel)), exist_ok=True)
            shutil.copy2(os.path.join(root, rel), os.path.join(shipped, rel))
        meson_setup(shipped, ["-D%s=false" % o for o in sorted(conan_options - {"boringssl_prefix"})],
                    "Meson configures from the Conan recipe's exports_sources alone")

    # vcpkg: ports/snow
    import json
    manifest = json.load(open(os.path.join(root, "ports/snow/vcpkg.json")))
    check(manifest["version"] == version, "vcpkg.json version %s matches meson.build's %s" % (manifest["version"], version))
    portfile = open(os.path.join(root, "ports/snow/portfile.cmake")).read()
    port_options = re.findall(r"-D(\w+)=(\w*)", portfile)
    unknown = {name for name, _ in port_options} - known_options
    check(not unknown, "portfile.cmake passes only options meson_options.txt has (unknown: %s)" % sorted(unknown))
    meson_setup(root, ["-D%s=%s" % (n, v) for n, v in port_options if n != "boringssl_prefix"],
                "Meson configures with the vcpkg port's options")

    print("recipes: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
