"""Domain errors: services raise them, views turn them into messages.

Each carries a message a student or officer can read, already translated lazily.
"""


class DomainError(Exception):
    def __init__(self, message, *, code: str = ""):
        super().__init__(str(message))
        self.message = message
        self.code = code


class InvalidTransition(DomainError):
    pass


class WindowClosed(DomainError):
    pass


class NotEligible(DomainError):
    pass


class DuplicateApplication(DomainError):
    """``application`` is the existing one only when the applicant proved it is theirs (same birth date)."""

    def __init__(self, message, *, application=None):
        super().__init__(message, code="duplicate")
        self.application = application


class InvalidLink(DomainError):
    pass


class RateLimited(DomainError):
    pass


class CourseFull(DomainError):
    pass


class AlreadySent(DomainError):
    pass
