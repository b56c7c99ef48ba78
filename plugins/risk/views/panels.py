def customer_panels(request, customer):
    return []
