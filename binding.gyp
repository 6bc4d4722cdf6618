{
  "targets": [
    {
      "target_name": "mimo_native",
      "sources": ["native/common.cc", "native/conv.cc", "native/winograd.cc", "native/matmul.cc", "native/elementwise.cc", "native/reduce.cc", "native/layout_ops.cc", "native/pooling.cc", "native/norm.cc", "native/dropout.cc", "native/superpose.cc", "native/module.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fno-trapping-math", "-march=native"],
      "libraries": ["-ldnnl", "-fopenmp"],
      "ldflags": ["-Wl,-z,nodelete"]
    }
  ]
}
