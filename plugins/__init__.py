"""The departments of a lending company, each a Mutuo plugin."""
