from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The project's user: a model of its own from the start, so fields can be added later."""

    # Written into every token as the "ver" claim. Logging out increments it, which ends
    # every token issued before at once, access tokens included (see accounts/tokens.py).
    token_version = models.PositiveIntegerField(default=0, editable=False)

    def set_password(self, raw_password):
        # A new password ends every token issued before it (see accounts/tokens.py).
        super().set_password(raw_password)
        self.token_version += 1
