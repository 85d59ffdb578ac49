"""Training: data + config -> model artifact. Imports the core, never serving or eval."""
