"""Customer service's pages: parse input, call one service, render."""


def includeme(config):
    config.add_route("service.tickets", "/tickets")
    config.add_route("service.ticket_new", "/tickets/new")
    config.add_route("service.ticket", "/tickets/{id:\\d+}")
    config.add_route("service.ticket_edit", "/tickets/{id:\\d+}/edit")
    config.add_route("service.ticket_action", "/tickets/{id:\\d+}/{action:reply|note|status|route}")
    config.add_route("service.ticket_answer", "/tickets/{id:\\d+}/answer")
    config.add_route("service.queue", "/queue")
    config.add_route("service.customer", "/customers/{id:\\d+}")
    config.add_route("service.announcements", "/announcements")
    config.add_route("service.announcement_new", "/announcements/new")
    config.add_route("service.announcement", "/announcements/{id:\\d+}")
    config.add_route("service.notices", "/notices.json")
    config.add_route("service.contact", "/contact")
    config.add_route("service.survey", "/survey/{token}")
    config.add_route("service.inbound_email", "/inbound/email")
    config.add_route("service.settings", "/settings")
    config.add_route("service.reports", "/reports")
    config.scan("plugins.service.views")
