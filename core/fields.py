"""Model fields shared by every app."""

from django.db import models


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token (``core.crypto.encrypt``), never clear text.

    The column itself is plain text: services encrypt on write and decrypt on read, so a value
    is only in clear where code asks for it. The type is what key rotation looks for
    (``core.rotation``): a new encrypted column is rotated by being declared with it.
    """

    description = "Text encrypted with the field keys"
