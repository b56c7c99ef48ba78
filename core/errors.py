"""The one exception a service raises when the user asked for something it refuses."""


class UserError(ValueError):
    """A refusal the user can fix; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
