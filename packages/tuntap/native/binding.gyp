{
  "targets": [
    {
      "target_name": "tuntap",
      "sources": [
        "addon.cc",
        "errors.cc",
        "device.cc",
        "netns.cc",
        "batch_io.cc",
        "poller.cc"
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
              "addon.cc",
              "errors.cc",
              "device.cc",
              "netns.cc",
              "batch_io.cc",
              "poller.cc"
            ]
          }
        ]
      ]
    }
  ]
}
