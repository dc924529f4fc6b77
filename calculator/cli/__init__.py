"""The `envelope` command: arguments, one function a command, exit codes. Nothing imports it."""
