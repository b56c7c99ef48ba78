"""Market development's screens (routes live under /crm). Views parse input, call services, render."""


def includeme(config):
    pass
