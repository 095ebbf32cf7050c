"""An e-mail backend for tests: a mail server that refuses every message."""


class RefusingEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        # The error names the recipient, as real SMTP errors do; callers must not pass it on.
        raise ConnectionRefusedError(f"mail server refused {messages[0].to}")
