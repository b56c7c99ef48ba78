def widgets(request):
    return []
