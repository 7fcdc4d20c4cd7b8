{
  "targets": [
    {
      "target_name": "continuation_data",
      "sources": ["src/continuation_data.cc"],
      "cflags_cc": ["-Wno-cast-function-type"]
    }
  ]
}
