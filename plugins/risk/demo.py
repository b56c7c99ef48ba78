def load(session, scale):
    return ""


def day(session, day, story):
    pass
