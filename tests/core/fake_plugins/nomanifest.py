"""A package that forgot its manifest."""
