def operations():
    return []
