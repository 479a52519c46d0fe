{
  # Built at install time by native/dds/build.mjs, against the libddsc found by pkg-config
  # (Debian's cyclonedds-dev here, the ROS image's under /opt/ros in Docker): Cyclone's struct
  # layouts depend on how that libddsc was configured (shared memory on Debian's), so a prebuilt
  # binary could not be shipped.
  "targets": [
    {
      "target_name": "flux_dds",
      "sources": ["src/addon.cc", "src/raw_type.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags": ["<!@(pkg-config --cflags CycloneDDS)"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "<!@(pkg-config --cflags CycloneDDS)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "libraries": ["<!@(pkg-config --libs CycloneDDS)"],
      "ldflags": ["-Wl,-rpath,<!(pkg-config --variable=libdir CycloneDDS)"]
    }
  ]
}
