# vcpkg overlay port for snow, built with vcpkg's Meson helpers from this source tree:
#   vcpkg install snow --overlay-ports=<snow>/ports
# Kept in step with meson.build and meson_options.txt: tests, benchmarks and examples are
# off; BoringSSL comes from vcpkg's install prefix through -Dboringssl_prefix. (Once snow
# is published, SOURCE_PATH becomes a vcpkg_from_github() of the release tag.)
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

vcpkg_configure_meson(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -Dtests=false
        -Dbenchmarks=false
        -Dexamples=false
        "-Dboringssl_prefix=${CURRENT_INSTALLED_DIR}"
)
vcpkg_install_meson()
vcpkg_fixup_pkgconfig()
vcpkg_cmake_config_fixup(PACKAGE_NAME snow CONFIG_PATH lib/cmake/snow)
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
