"""Project command-line scripts (run with `python -m scripts <command>`)."""
