"""``python -m core.cli_entry``: the mutuo command without the console script."""
from core.cli import main

if __name__ == "__main__":
    main(prog_name="mutuo")
