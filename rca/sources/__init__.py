"""Where entries come from: export files of every shape, stdin, and Cloud Logging."""
