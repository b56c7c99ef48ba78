"""A plugin whose import raises (a bug in its module-level code)."""
raise ValueError("the plugin's settings table is\nmissing a column")
