"""What the account endpoints read and write: sign-up, your own profile, a new password."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework import serializers

from config.fields import StrictCharField, StrictModelSerializer

from . import passwords
from .tokens import TokenObtainPairSerializer

User = get_user_model()

USERNAME_TAKEN = "A user with that username already exists."
CANNOT_CHANGE = "This field cannot be changed here."


class UsernameField(StrictCharField):
    """A username as Django stores it: NFKC-normalized, so full-width "ａｌｉｃｅ" is "alice".

    The length and the characters are checked on the normalized name, the one that is stored:
    normalizing can make a name longer.
    """

    def to_internal_value(self, data):
        return User.normalize_username(super().to_internal_value(data))


class PasswordField(StrictCharField):
    """A password as typed: never sent back, spaces kept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", 128)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


def check_password_strength(password, user):
    """The project's AUTH_PASSWORD_VALIDATORS; what they refuse, as a DRF ValidationError."""
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise serializers.ValidationError(list(error.messages)) from error


class SignUpSerializer(serializers.ModelSerializer):
    username = UsernameField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="150 characters or fewer: letters, digits and @ . + - _",
    )
    password = PasswordField(help_text="Checked by the project's password validators.")

    class Meta:
        model = User
        fields = ["id", "username", "email", "password", "date_joined"]
        read_only_fields = ["id", "date_joined"]

    def validate_username(self, username):
        # Case-insensitive, as in Django's own UserCreationForm: "Alice" must not pass for
        # "alice". (SQLite compares case-insensitively for ASCII letters only.)
        if User.objects.filter(username__iexact=username).exists():
            raise serializers.ValidationError(USERNAME_TAKEN, code="unique")
        return username

    def validate(self, attrs):
        # The similarity validator compares the password with the username and email.
        candidate = User(username=attrs["username"], email=attrs.get("email", ""))
        try:
            check_password_strength(attrs["password"], candidate)
        except serializers.ValidationError as error:
            raise serializers.ValidationError({"password": error.detail}) from error
        return attrs

    def create(self, validated_data):
        try:
            with transaction.atomic():  # on PostgreSQL, a failed INSERT ends the transaction
                return User.objects.create_user(**validated_data)
        except IntegrityError:
            # Another sign-up took the name between the check above and this INSERT.
            raise serializers.ValidationError({"username": [USERNAME_TAKEN]}) from None


class MeSerializer(StrictModelSerializer):
    # Fields that never change through this endpoint. A request that names one is refused,
    # not silently ignored, so that no client believes it changed them.
    PROTECTED = {
        "password": "Change the password at /api/password/change/.",
        "is_staff": CANNOT_CHANGE,
        "is_superuser": CANNOT_CHANGE,
        "is_active": CANNOT_CHANGE,
        "token_version": CANNOT_CHANGE,
        "groups": CANNOT_CHANGE,
        "user_permissions": CANNOT_CHANGE,
        "last_login": CANNOT_CHANGE,
    }

    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "date_joined"]
        read_only_fields = ["id", "username", "date_joined"]

    def validate(self, attrs):
        named = [name for name in self.PROTECTED if name in self.initial_data]
        if named:
            raise serializers.ValidationError({name: [self.PROTECTED[name]] for name in named})
        return attrs


class PasswordChangeSerializer(serializers.Serializer):
    old_password = PasswordField()
    new_password = PasswordField(help_text="Checked by the project's password validators.")
    # The answer: a new pair of tokens, the only ones of the user that still work.
    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)

    def validate_new_password(self, password):
        check_password_strength(password, self.context["request"].user)
        return password

    def validate(self, attrs):
        # Last, once everything else is valid: checking a password costs a deliberately slow
        # hash, which a request refused anyway should not get for free. A wrong one counts
        # towards the same guessing limit as the logins (accounts/lockout.py).
        request = self.context["request"]
        if not passwords.check(request, request.user, attrs["old_password"]):
            raise serializers.ValidationError({"old_password": ["Wrong password."]})
        return attrs

    def save(self):
        user = self.context["request"].user
        user.set_password(self.validated_data["new_password"])  # ends every token of the user
        user.save(update_fields=["password", "token_version"])
        refresh = TokenObtainPairSerializer.get_token(user)  # carries the new token_version
        self.instance = {"refresh": str(refresh), "access": str(refresh.access_token)}
        return self.instance
