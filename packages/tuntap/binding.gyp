{
  "targets": [
    {
      "target_name": "tuntap",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/device.cc",
        "native/netns.cc",
        "native/batch_io.cc",
        "native/poller.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-missing-field-initializers"],
      "conditions": [
        [
          "OS!='linux'",
          {
            "sources!": [
              "native/addon.cc",
              "native/errors.cc",
              "native/device.cc",
              "native/netns.cc",
              "native/batch_io.cc",
              "native/poller.cc"
            ]
          }
        ]
      ]
    }
  ]
}
