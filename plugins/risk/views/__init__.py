"""Risk's pages: parse input, call one service, render."""


def includeme(config):
    config.scan("plugins.risk.views")
