"""The only code that runs Docker or Compose: engine (SDK), compose (v2 binary), image, system."""
