"""Why a submission was refused: the pipeline raises these, the page and the API turn them into
a re-rendered form or a JSON error with the right status."""

import json


class SubmissionRejected(Exception):
    """A submission was refused and nothing was stored.

    ``errors`` maps a field name (or ``consent``, ``guardian_consent``,
    ``verification_token``, ``__all__``) to messages; ``form`` is the validated form
    when there is one, so the page can show the visitor's input with the errors.
    """

    def __init__(self, errors: dict[str, list[str]], form=None):
        self.errors = {key: [str(m) for m in messages] for key, messages in errors.items()}
        self.form = form
        super().__init__(json.dumps(self.errors, ensure_ascii=False))


class SubmissionRateLimited(SubmissionRejected):
    """The message the submission would send is over the limits; nothing was stored and the
    verification token is still unused, so the visitor can send it again after ``retry_after``."""

    def __init__(self, message: str, *, retry_after: int, form=None):
        self.retry_after = retry_after
        super().__init__({"__all__": [message]}, form=form)


class SubmissionConflict(SubmissionRejected):
    """The campaign cannot take this submission now (not open yet, closed, or the person
    has signed up already); nothing was stored. The API answers 409 with ``reason``."""

    status = 409

    def __init__(self, message: str, *, reason: str, form=None):
        self.reason = reason
        super().__init__({"__all__": [message]}, form=form)
