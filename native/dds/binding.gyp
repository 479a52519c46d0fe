{
  # Built at install time by native/dds/build.mjs, against the libddsc dds-flags.mjs finds
  # (Debian's cyclonedds-dev here through pkg-config, the ROS image's under /opt/ros in Docker): Cyclone's struct
  # layouts depend on how that libddsc was configured (shared memory on Debian's), so a prebuilt
  # binary could not be shipped.
  "targets": [
    {
      "target_name": "flux_dds",
      "sources": ["src/addon.cc", "src/raw_type.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags": ["<!@(node dds-flags.mjs cflags)"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "<!@(node dds-flags.mjs cflags)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "libraries": ["<!@(node dds-flags.mjs libs)"],
      "ldflags": ["-Wl,-rpath,<!(node dds-flags.mjs libdir)"]
    }
  ]
}
