"""The exceptions a service raises when the user asked for something it refuses."""


class UserError(ValueError):
    """A refusal the user can fix; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ConflictError(UserError):
    """A refusal because of the record's current state, not the request's wording.

    The application is already fully funded, the money is no longer available,
    the loan is already closed: often because someone else's change committed
    first. The same request may succeed later or elsewhere; the web layer
    answers 409 Conflict (a plain :class:`UserError` answers 400).
    """
