"""Subcommands of the `yuqing` CLI, one module per area; each exposes register(subparsers)."""
