# vcpkg overlay port for snow, built with vcpkg's Meson helpers from this source tree:
#   vcpkg install snow --overlay-ports=<snow>/ports
# Kept in step with meson.build, meson_options.txt and vcpkg.json (tests/consumer/
# recipes_in_step.py checks it): tests, benchmarks and examples are off.
#
# The source is this checkout (the port sits in its ports/ folder). snow has no published
# release to pin yet; when it has, this becomes vcpkg_from_github(... REF v${VERSION}
# SHA512 ...) of the release tag.
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

# vcpkg's static libuv installs only libuv-static.pc (a shared one, libuv.pc).
if(VCPKG_LIBRARY_LINKAGE STREQUAL "static")
    set(LIBUV_PKGCONFIG libuv-static)
else()
    set(LIBUV_PKGCONFIG libuv)
endif()

# vcpkg_configure_meson passes --default_library from the triplet's linkage, so a static
# triplet gets libsnow.a alone and a dynamic one libsnow.so alone.
vcpkg_configure_meson(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -Dtests=false
        -Dbenchmarks=false
        -Dexamples=false
        "-Dlibuv_pkgconfig=${LIBUV_PKGCONFIG}"
        "-Dboringssl_prefix=${CURRENT_INSTALLED_DIR}"
)
vcpkg_install_meson()
# BoringSSL is in vcpkg's installed tree beside snow, where snowConfig.cmake looks first:
# the build-time hint would be an absolute path into this machine's vcpkg.
set(SNOW_CONFIG "${CURRENT_PACKAGES_DIR}/lib/cmake/snow/snowConfig.cmake")
file(READ "${SNOW_CONFIG}" SNOW_CONFIG_TEXT)
string(REGEX REPLACE "set\\(_snow_boringssl_dirs [^)]*\\)" "set(_snow_boringssl_dirs)" SNOW_CONFIG_TEXT "${SNOW_CONFIG_TEXT}")
file(WRITE "${SNOW_CONFIG}" "${SNOW_CONFIG_TEXT}")
vcpkg_fixup_pkgconfig()
vcpkg_cmake_config_fixup(PACKAGE_NAME snow CONFIG_PATH lib/cmake/snow)
# snowc is a tool: vcpkg's maintainer guide puts executables in tools/<port>/ (never bin/,
# which its post-build checks reject in static triplets); snowc finds the headers and
# libsnow two levels up from there.
vcpkg_copy_tools(TOOL_NAMES snowc AUTO_CLEAN)
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
