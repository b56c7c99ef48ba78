"""Collections' dashboard widgets."""


def widgets(request):
    return []
